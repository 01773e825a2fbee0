"""Segregation of duties as a property: whatever sequence of moves people and the system make
(claims, decisions, returns and resubmissions, out-of-office handovers and delegation,
SLA escalation and reroute, deactivations, reassignments), after every step

- nobody holds or decided two live approvals of one stage round of a case, and
- no approval of a case is held or decided by its requester.

Every move goes through the real services; refusals are part of the game. Each example runs
in a savepoint that is rolled back, so examples do not see each other's data.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from viewflow.workflow.status import STATUS

from apps.cases.flows import CaseFlow
from apps.cases.models import Case
from apps.cases.reassignment import absence_handover
from apps.cases.services import case_start, task_claim, task_complete, task_reassign
from apps.core.errors import ServiceError
from apps.org.services import absence_set
from apps.sla.actions import fire
from apps.sla.models import SlaClock
from tests.conftest import open_tasks

PEOPLE = ["alice", "bob", "carol", "fiona", "frank", "leo", "audrey", "olivia", "oscar", "admin"]
# Extra roles that make one person eligible for several approvals of a stage.
EXTRA_ROLES = [("carol", "finance"), ("bob", "finance"), ("frank", "legal"), ("oscar", "finance"), ("bob", "legal")]

person = st.sampled_from(PEOPLE)
# Who a move involves: anyone, but often the people a careless rule would let slip through,
# the requester and whoever holds or decided another approval of the same stage round.
involved = st.sampled_from(["<other approver>"] * 4 + ["<requester>"] * 2 + PEOPLE)
pick = st.integers(min_value=0, max_value=9)  # which open task (modulo how many there are)
# (action, a person, which open task): the person claims, decides (when the task is in a
# queue), is the delegate (of whoever holds the task), is deactivated, or is given the task.
moves = st.tuples(
    st.sampled_from(
        # The moves that give tasks to people come up more often than the ones that end a stage.
        ["reassign", "away"] * 3
        + ["escalate", "reroute", "claim"] * 2
        + ["approve", "return", "resubmit", "deactivate"]
    ),
    involved,
    pick,
)
cases = st.fixed_dictionaries(
    {
        "requester": person,
        "amount": st.integers(min_value=1, max_value=9000),
        "risk": st.sampled_from(["low", "high"]),
        "extra_roles": st.sets(st.sampled_from(EXTRA_ROLES), max_size=3),
        "away_before": st.lists(st.tuples(person, person), max_size=2),
    }
)


def people():
    return {u.username: u for u in get_user_model().objects.all()}


def go_away(user, delegate):
    now = timezone.now()
    absence_set(user=user, starts=now - timedelta(hours=1), ends=now + timedelta(days=3), delegate=delegate, actor=user)


def assert_segregation_of_duties(case):
    case = Case.objects.get(pk=case.pk)
    approvals = case.task_set.filter(flow_task=CaseFlow.approve, owner__isnull=False).exclude(
        status__in=[STATUS.CANCELED, STATUS.REVIVED]
    )
    seen = set()
    for task in approvals:
        assert task.owner_id != case.requester_id, f"the requester holds {task.data['label']} ({task.status})"
        key = (task.data.get("round"), task.owner_id)
        assert key not in seen, f"user {task.owner_id} holds two approvals of round {key[0]}"
        seen.add(key)


def someone(name, case, task, who):
    """The person a move involves, resolving the placeholders for the case and task at hand."""
    if name == "<requester>":
        return who[case.requester.username]
    if name == "<other approver>":
        others = case.task_set.filter(flow_task=CaseFlow.approve, owner__isnull=False).exclude(
            status__in=[STATUS.CANCELED, STATUS.REVIVED]
        )
        if task is not None:
            others = [t for t in others.exclude(pk=task.pk) if t.data.get("round") == task.data.get("round")]
        return who[others[0].owner.username] if others else who["frank"]
    return who[name]


def play(case, move, who):
    """Apply one move through the real services; a refusal is an allowed outcome."""
    action, name, index = move
    tasks = open_tasks(case)
    task = tasks[index % len(tasks)] if tasks else None
    person = someone(name, case, task, who)
    if task is None:
        if action == "deactivate":
            person.is_active = False
            person.save()
        return
    holder = task.owner or person
    if action == "claim":
        task_claim(task_id=task.pk, actor=person)
    elif action in {"approve", "return"} and task.data.get("kind") != "rework":
        task_complete(task_id=task.pk, actor=holder, decision=action, reason="random walk")
    elif action == "resubmit" and task.data.get("kind") == "rework":
        task_complete(task_id=task.pk, actor=task.owner, decision="submit")
    elif action == "away" and task.owner_id:
        go_away(task.owner, person)  # new tasks are delegated at routing from now on
        absence_handover(user=task.owner, delegate=person, actor=task.owner)
    elif action in {"escalate", "reroute"}:
        clock = (
            SlaClock.objects.select_related("case__version", "case__requester", "task__owner").filter(task=task).first()
        )
        if clock is not None:
            fire(clock, {"action": action, "after_hours": 48}, clock.task)
    elif action == "deactivate":
        holder.is_active = False
        holder.save()  # reroutes their open tasks
    elif action == "reassign":
        task_reassign(task_id=task.pk, to_user=person, reason="random walk")


@settings(
    max_examples=35,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(setup=cases, steps=st.lists(moves, min_size=3, max_size=12))
def test_no_move_gives_one_person_two_approvals_of_a_stage_or_their_own(demo, setup, steps):
    with transaction.atomic():
        for username, role in setup["extra_roles"]:
            get_user_model().objects.get(username=username).groups.add(Group.objects.get(name=role))
        who = people()
        for away, delegate in setup["away_before"]:
            if away != delegate:
                go_away(who[away], who[delegate])
        case, _ = case_start(
            workflow="purchase-approval",
            data={"amount": str(setup["amount"]), "vendor": "ACME", "vendor_risk": setup["risk"], "cost_center": "C1"},
            actor=who[setup["requester"]],
        )
        assert_segregation_of_duties(case)
        for move in steps:
            who = people()  # fresh: a deactivation or a new role changes them
            try:
                play(case, move, who)
            except ServiceError:
                pass
            assert_segregation_of_duties(case)
        transaction.set_rollback(True)
