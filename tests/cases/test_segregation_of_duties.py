"""Nobody approves their own request; nobody approves twice in one stage."""

import pytest
from django.contrib.auth.models import Group

from apps.cases.selectors import task_list_for_user
from apps.cases.services import task_claim, task_complete, task_release
from apps.core.errors import NotAllowed
from tests.conftest import events, reload, task_for


def test_requester_in_the_approving_role_cannot_approve_their_own_request(start_purchase, users):
    fiona, frank = users["fiona"], users["frank"]
    case = start_purchase(actor=fiona, amount="2500")
    finance = task_for(case, "Finance approval")
    assert finance.pk not in [t.pk for t in task_list_for_user(user=fiona)]
    assert finance.pk in [t.pk for t in task_list_for_user(user=frank)]
    with pytest.raises(NotAllowed, match="segregation of duties"):
        task_complete(task_id=finance.pk, actor=fiona, decision="approve")
    with pytest.raises(NotAllowed):
        task_claim(task_id=finance.pk, actor=fiona)
    assert events(case, "task.decided") == [] and reload(case).status_label == "open"


def test_an_approver_cannot_take_a_second_approval_in_the_same_stage(start_purchase, users):
    bob = users["bob"]
    bob.groups.add(Group.objects.get(name="finance"))
    case = start_purchase(amount="5000")
    task_complete(task_id=task_for(case, "Manager approval").pk, actor=bob, decision="approve")
    finance = task_for(case, "Finance approval")
    with pytest.raises(NotAllowed, match="once per stage"):
        task_complete(task_id=finance.pk, actor=bob, decision="approve")
    with pytest.raises(NotAllowed, match="once per stage"):
        task_claim(task_id=finance.pk, actor=bob)
    task_complete(task_id=finance.pk, actor=users["frank"], decision="approve")
    assert reload(case).outcome == "approved"


def test_outsiders_cannot_act_on_someone_elses_task(start_purchase, users):
    case = start_purchase(amount="5000")
    with pytest.raises(NotAllowed, match="assigned to bob"):
        task_complete(task_id=task_for(case, "Manager approval").pk, actor=users["carol"], decision="approve")
    with pytest.raises(NotAllowed, match="finance"):
        task_complete(task_id=task_for(case, "Finance approval").pk, actor=users["leo"], decision="approve")


def test_claim_and_release_move_a_role_task_between_queue_and_person(start_purchase, users):
    fiona, frank = users["fiona"], users["frank"]
    case = start_purchase(amount="5000")
    finance = task_for(case, "Finance approval")
    task_claim(task_id=finance.pk, actor=fiona)
    assert finance.pk not in [t.pk for t in task_list_for_user(user=frank)]
    with pytest.raises(NotAllowed):
        task_complete(task_id=finance.pk, actor=frank, decision="approve")
    with pytest.raises(NotAllowed):
        task_release(task_id=finance.pk, actor=frank)
    task_release(task_id=finance.pk, actor=fiona)
    assert finance.pk in [t.pk for t in task_list_for_user(user=frank)]
    task_complete(task_id=finance.pk, actor=frank, decision="approve")
    assert [e.action for e in events(case) if e.task_id == finance.pk] == [
        "task.created",
        "task.claimed",
        "task.released",
        "task.claimed",
        "task.decided",
    ]


def test_engine_internal_tasks_cannot_be_acted_on(start_purchase, users):
    from apps.cases.flows import CaseFlow
    from apps.core.errors import NotFound

    case = start_purchase()
    split = case.task_set.get(flow_task=CaseFlow.approval_split)
    with pytest.raises(NotFound):
        task_complete(task_id=split.pk, actor=users["admin"], decision="approve")
