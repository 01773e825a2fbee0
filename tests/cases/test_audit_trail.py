"""Every state change is in the audit trail, written in the same transaction."""

import pytest

from apps.audit.models import AuditEvent
from apps.cases.services import task_complete
from tests.conftest import events, reload, task_for


def test_happy_path_leaves_a_complete_trail(start_purchase, users):
    case = start_purchase(amount="5000")
    task_complete(task_id=task_for(case, "Manager approval").pk, actor=users["bob"], decision="approve", comment="fine")
    task_complete(task_id=task_for(case, "Finance approval").pk, actor=users["fiona"], decision="approve")
    trail = [(e.actor_name, e.action, e.step) for e in events(case)]
    assert trail == [
        ("alice", "case.started", ""),
        ("SYSTEM", "case.routed", "approval"),
        ("SYSTEM", "task.created", "Manager approval"),
        ("SYSTEM", "task.created", "Finance approval"),
        ("bob", "task.decided", "Manager approval"),
        ("fiona", "task.claimed", "Finance approval"),
        ("fiona", "task.decided", "Finance approval"),
        ("SYSTEM", "case.routed", ""),
        ("SYSTEM", "case.closed", "approved"),
    ]
    started = events(case, "case.started")[0]
    assert started.data["amount"] == "5000.00" and started.workflow == "purchase-approval" and started.version == 1
    decided = events(case, "task.decided")[0]
    assert decided.context["decision"] == "approve" and decided.comment == "fine"


def test_audit_events_cannot_be_changed_or_deleted(start_purchase):
    case = start_purchase()
    event = events(case)[0]
    event.reason = "rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(case_id=case.pk).update(reason="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(case_id=case.pk).delete()


def test_case_history_records_who_changed_it(start_purchase, users):
    case = start_purchase(amount="5000", cost_center=None)
    task_complete(
        task_id=task_for(case, "Rework: complete the request").pk,
        actor=users["alice"],
        decision="submit",
        data={"cost_center": "CC-3"},
    )
    history = list(reload(case).history.order_by("history_date"))
    assert history[0].history_type == "+" and history[0].history_user == users["alice"]
    assert history[-1].data["cost_center"] == "CC-3" and history[-1].history_user == users["alice"]


def test_a_failed_action_writes_no_audit_rows(start_purchase, users):
    case = start_purchase()
    before = len(events(case))
    with pytest.raises(Exception):  # noqa: B017 - any refusal
        task_complete(task_id=task_for(case, "Manager approval").pk, actor=users["alice"], decision="approve")
    assert len(events(case)) == before
