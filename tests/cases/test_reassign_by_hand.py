"""Moving a task by hand (issue 12): the holder's manager, operators, administrators and the
workflow's owners may; the segregation-of-duties rule decides who may take it; whoever gains
and loses it is told; the move is audited with its reason."""

import pytest

from apps.audit.models import AuditEvent
from apps.cases.services import task_claim, task_reassign_by
from apps.core.errors import NotAllowed, ValidationFailed
from apps.notify.models import Notification
from tests.conftest import reload, task_for


def holder(task):
    task.refresh_from_db()
    return task.owner.username if task.owner_id else None


def test_the_holders_manager_moves_the_task_and_both_people_are_told(start_purchase, users):
    case = start_purchase(amount="5000")
    task = task_for(case, "Manager approval")  # bob's; carol is his manager

    task_reassign_by(task_id=task.pk, actor=users["carol"], to="leo", reason="Bob is on leave until Monday.")

    assert holder(task) == "leo"
    gained = Notification.objects.get(user=users["leo"], case_id=case.pk)
    assert "is now yours" in gained.subject and gained.body == "Bob is on leave until Monday."
    assert Notification.objects.filter(user=users["bob"], case_id=case.pk, kind="notice").exists()
    moved = AuditEvent.objects.get(case_id=case.pk, action="task.reassigned")
    assert moved.actor == users["carol"] and moved.reason == "Bob is on leave until Monday."
    assert moved.context == {"from": "bob", "to": "leo", "by_hand": True}


@pytest.mark.parametrize("who", ["oscar", "admin", "olivia"])
def test_operators_administrators_and_the_workflows_owners_may_move_it(start_purchase, users, who):
    task = task_for(start_purchase(amount="5000"), "Manager approval")
    task_reassign_by(task_id=task.pk, actor=users[who], to="carol", reason="Escalated by hand.")
    assert holder(task) == "carol"


@pytest.mark.parametrize("who", ["alice", "fiona", "audrey", "bob"])
def test_nobody_else_may_move_it(start_purchase, users, who):
    task = task_for(start_purchase(amount="5000"), "Manager approval")
    with pytest.raises(NotAllowed, match="manager, operators, administrators"):
        task_reassign_by(task_id=task.pk, actor=users[who], to="carol", reason="Mine now.")
    assert holder(task) == "bob"
    assert not AuditEvent.objects.filter(action="task.reassigned").exists()


def test_segregation_of_duties_decides_who_may_take_it(start_purchase, users):
    case = start_purchase(amount="5000")
    task_claim(task_id=task_for(case, "Finance approval").pk, actor=users["fiona"])
    manager_task = task_for(case, "Manager approval")
    with pytest.raises(NotAllowed, match="requested this case"):
        task_reassign_by(task_id=manager_task.pk, actor=users["oscar"], to="alice", reason="Let her do it.")
    with pytest.raises(NotAllowed, match="once per stage"):
        task_reassign_by(task_id=manager_task.pk, actor=users["oscar"], to="fiona", reason="Finance knows.")
    assert holder(manager_task) == "bob"


def test_back_to_a_roles_queue(start_purchase, users):
    case = start_purchase(amount="5000")
    finance = task_for(case, "Finance approval")
    task_claim(task_id=finance.pk, actor=users["fiona"])

    task_reassign_by(task_id=finance.pk, actor=users["oscar"], to="role:finance", reason="Fiona is off sick.")

    finance.refresh_from_db()
    assert finance.owner_id is None and finance.owner_permission == "role:finance"
    assert Notification.objects.filter(user=users["fiona"], case_id=case.pk, kind="notice").exists()
    with pytest.raises(ValidationFailed) as refused:
        task_reassign_by(task_id=finance.pk, actor=users["oscar"], to="role:finance", reason="Again.")
    assert "already holds" in refused.value.field_errors["to"][0]


def test_bad_input_names_every_field_and_changes_nothing(start_purchase, users):
    case = start_purchase(amount="5000")
    task = task_for(case, "Manager approval")
    with pytest.raises(ValidationFailed) as refused:
        task_reassign_by(task_id=task.pk, actor=users["oscar"], to="nobody", reason="  ")
    assert set(refused.value.field_errors) == {"to", "reason"}
    assert "no active user 'nobody'" in refused.value.field_errors["to"][0]
    with pytest.raises(ValidationFailed, match="no role 'ghosts'"):
        task_reassign_by(task_id=task.pk, actor=users["oscar"], to="role:ghosts", reason="Why not.")
    assert holder(task) == "bob" and reload(case).state == "approval"


def test_whoever_is_asked_to_act_can_open_the_case(start_purchase, users):
    """An operator asked to route a task by hand (a handover nobody may take) opens its case;
    a person merely told of a task they lost does not gain access that way."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.cases.policy import case_can_view
    from apps.cases.reassignment import absence_handover
    from apps.org.services import absence_set

    bob, fiona, oscar = users["bob"], users["fiona"], users["oscar"]
    case = start_purchase(amount="5000")
    task_claim(task_id=task_for(case, "Finance approval").pk, actor=fiona)
    assert not case_can_view(user=oscar, case=case)

    now = timezone.now()
    absence_set(user=bob, starts=now - timedelta(hours=1), ends=now + timedelta(days=1), delegate=fiona, actor=bob)
    absence_handover(user=bob, delegate=fiona, actor=bob)  # fiona may not take it: operators are asked

    assert Notification.objects.filter(user=oscar, case_id=case.pk, kind="reroute").exists()
    assert case_can_view(user=oscar, case=case)
    assert not case_can_view(user=users["leo"], case=case)
