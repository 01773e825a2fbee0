"""Segregation of duties wherever a task changes hands: handover, reassignment, deactivation,
delegation at routing. One rule (apps.cases.policy.assignee_refusal) decides; every path asks it."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.cases.policy import MSG_ASSIGNEE_REQUESTER, MSG_ASSIGNEE_TWICE
from apps.cases.reassignment import absence_handover
from apps.cases.services import task_claim, task_complete, task_reassign
from apps.core.errors import NotAllowed
from apps.notify.models import Notification
from apps.org.services import absence_set
from tests.conftest import open_tasks, reload, task_for


def away(user, delegate):
    now = timezone.now()
    return absence_set(
        user=user, starts=now - timedelta(hours=1), ends=now + timedelta(days=3), delegate=delegate, actor=user
    )


def holders(case):
    """username -> labels of the open approvals they hold."""
    held = {}
    for task in open_tasks(case):
        if task.owner_id:
            held.setdefault(task.owner.username, []).append(task.data["label"])
    return held


def test_handover_never_gives_the_delegate_a_second_approval_of_the_stage(start_purchase, users):
    """Issue 10, reproduction (a): fiona holds finance; bob hands over to fiona."""
    bob, fiona, oscar = users["bob"], users["fiona"], users["oscar"]
    case = start_purchase(amount="5000")
    task_claim(task_id=task_for(case, "Finance approval").pk, actor=fiona)
    away(bob, fiona)

    moved = absence_handover(user=bob, delegate=fiona, actor=bob)

    assert moved == []
    assert holders(case) == {"bob": ["Manager approval"], "fiona": ["Finance approval"]}
    with pytest.raises(NotAllowed):
        task_complete(task_id=task_for(case, "Manager approval").pk, actor=fiona, decision="approve")
    refused = AuditEvent.objects.get(case_id=case.pk, action="absence.handover")
    assert "fiona" in refused.reason and "once per stage" in refused.reason
    assert Notification.objects.filter(user=oscar, case_id=case.pk).exists(), "the operators are told"


def test_handover_still_moves_what_the_delegate_may_take(start_purchase, users):
    bob, frank = users["bob"], users["frank"]
    case = start_purchase(amount="5000")
    away(bob, frank)
    [moved] = absence_handover(user=bob, delegate=frank, actor=bob)
    assert moved.data["label"] == "Manager approval" and reload_task(moved).owner == frank
    with pytest.raises(NotAllowed, match="once per stage"):
        task_claim(task_id=task_for(case, "Finance approval").pk, actor=frank)


def reload_task(task):
    task.refresh_from_db()
    return task


def test_reassign_refuses_a_person_already_acting_in_the_stage(start_purchase, users):
    fiona = users["fiona"]
    case = start_purchase(amount="5000")
    task_claim(task_id=task_for(case, "Finance approval").pk, actor=fiona)
    manager = task_for(case, "Manager approval")
    with pytest.raises(NotAllowed) as refusal:
        task_reassign(task_id=manager.pk, to_user=fiona, reason="test")
    assert refusal.value.message == MSG_ASSIGNEE_TWICE.format(username="fiona")
    with pytest.raises(NotAllowed) as refusal:
        task_reassign(task_id=manager.pk, to_user=users["alice"], reason="test")
    assert refusal.value.message == MSG_ASSIGNEE_REQUESTER.format(username="alice")
    assert reload_task(manager).owner == users["bob"]


def test_a_decided_approval_counts_as_acting_in_the_stage(start_purchase, users):
    frank = users["frank"]
    case = start_purchase(amount="5000")
    task_complete(task_id=task_for(case, "Finance approval").pk, actor=frank, decision="approve")
    with pytest.raises(NotAllowed, match="once per stage"):
        task_reassign(task_id=task_for(case, "Manager approval").pk, to_user=frank, reason="test")


def test_deactivation_never_reroutes_to_someone_acting_in_the_stage(start_purchase, users):
    bob, carol = users["bob"], users["carol"]
    carol.groups.add(Group.objects.get(name="finance"))
    case = start_purchase(amount="5000")
    task_claim(task_id=task_for(case, "Finance approval").pk, actor=carol)
    bob.is_active = False
    bob.save()
    manager = task_for(case, "Manager approval")
    assert manager.owner is None and manager.owner_permission == "role:operators", "the operators' queue"
    assert holders(case) == {"carol": ["Finance approval"]}
    released = AuditEvent.objects.get(case_id=case.pk, task_id=manager.pk, action="task.released")
    assert "carol" in released.reason
    assert Notification.objects.filter(user=users["oscar"], case_id=case.pk).exists()


def two_person_stage(publish, *approvers):
    return publish("two-step", [{"key": "ok", "name": "OK", "policy": "all", "approvers": list(approvers)}])


MANAGER = {"key": "manager", "label": "Manager", "type": "manager"}


def test_routing_never_gives_two_approvals_of_a_stage_to_one_person(publish, start, users):
    key = two_person_stage(publish, MANAGER, {"key": "named", "label": "Named", "type": "user", "user": "bob"})
    case = start(key, amount="10")
    tasks = {t.data["label"]: t for t in open_tasks(case)}
    assert tasks["Manager"].owner == users["bob"]
    assert tasks["Named"].owner is None and tasks["Named"].owner_permission == "role:operators"
    note = case.route["approvers"][1]["assignee_note"]
    assert "bob" in note and "once per stage" in note and "operators" in note


def test_routing_uses_the_named_backup_when_the_approver_already_acts(publish, start, users):
    named = {"key": "named", "label": "Named", "type": "user", "user": "bob", "backup": "carol"}
    key = two_person_stage(publish, MANAGER, named)
    case = start(key, amount="10")
    tasks = {t.data["label"]: t.owner for t in open_tasks(case)}
    assert tasks == {"Manager": users["bob"], "Named": users["carol"]}


def test_routing_never_gives_one_delegate_two_approvals_of_a_stage(publish, start, users):
    key = two_person_stage(publish, MANAGER, {"key": "director", "label": "Director", "type": "user", "user": "carol"})
    away(users["bob"], users["frank"])
    away(users["carol"], users["frank"])
    case = start(key, amount="10")
    tasks = {t.data["label"]: t for t in open_tasks(case)}
    assert tasks["Manager"].owner == users["frank"] and tasks["Manager"].data["on_behalf_of"] == "bob"
    assert tasks["Director"].owner != users["frank"]
    with pytest.raises(NotAllowed):
        task_complete(task_id=tasks["Director"].pk, actor=users["frank"], decision="approve")


def test_manager_and_managers_manager_at_the_top_of_the_chain_are_not_one_person(publish, start, users):
    key = two_person_stage(publish, MANAGER, {"key": "mm", "label": "Skip level", "type": "managers_manager"})
    case = start(key, actor=users["bob"], amount="10")  # bob's chain is only carol
    tasks = {t.data["label"]: t for t in open_tasks(case)}
    assert tasks["Manager"].owner == users["carol"]
    assert tasks["Skip level"].owner is None and tasks["Skip level"].owner_permission == "role:operators"
    task_complete(task_id=tasks["Manager"].pk, actor=users["carol"], decision="approve")
    assert reload(case).is_open
