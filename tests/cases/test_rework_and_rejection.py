"""Return to requester (twice), resubmission, rejection with reason cancelling parallel work."""

import pytest

from apps.cases.services import task_complete
from apps.core.errors import Conflict, NotAllowed, ValidationFailed
from tests.conftest import events, open_tasks, reload, task_for

REWORK = "Rework: complete the request"


def test_resubmitting_without_the_missing_data_is_refused_then_with_it_routes_again(start_purchase, users):
    alice = users["alice"]
    case = start_purchase(amount="5000", cost_center=None)
    task = task_for(case, REWORK)
    with pytest.raises(ValidationFailed) as refused:
        task_complete(task_id=task.pk, actor=alice, decision="submit", data={"description": "forgot it"})
    assert refused.value.field_errors == {"cost_center": ["Required before Approval."]}
    assert task_for(reload(case), REWORK).pk == task.pk, "the same task waits; no second return"
    assert len(events(case, "case.returned")) == 1 and not events(case, "case.resubmitted")
    task_complete(task_id=task.pk, actor=alice, decision="submit", data={"cost_center": "CC-7", "description": "x"})
    case = reload(case)
    assert case.state == "approval"
    assert case.data["cost_center"] == "CC-7" and case.data["description"] == "x"
    assert sorted(t.data["label"] for t in open_tasks(case)) == ["Finance approval", "Manager approval"]
    assert len(events(case, "case.resubmitted")) == 1


def test_resubmission_with_invalid_data_is_refused_and_keeps_the_task(start_purchase, users):
    case = start_purchase(amount="5000", cost_center=None)
    task = task_for(case, REWORK)
    with pytest.raises(ValidationFailed) as error:
        task_complete(task_id=task.pk, actor=users["alice"], decision="submit", data={"amount": "-3"})
    assert "amount" in error.value.field_errors
    assert task_for(reload(case), REWORK).pk == task.pk
    assert reload(case).data["amount"] == "5000.00"


def test_resubmission_can_change_the_route(start_purchase, users):
    case = start_purchase(amount="5000", cost_center=None)
    task_complete(
        task_id=task_for(case, REWORK).pk,
        actor=users["alice"],
        decision="submit",
        data={"cost_center": "CC-1", "amount": "300"},
    )
    assert [t.data["label"] for t in open_tasks(reload(case))] == ["Manager approval"]


def test_only_the_requester_resubmits(start_purchase, users):
    case = start_purchase(cost_center=None)
    with pytest.raises(NotAllowed):
        task_complete(
            task_id=task_for(case, REWORK).pk, actor=users["bob"], decision="submit", data={"cost_center": "X"}
        )


def test_rejection_closes_the_case_with_reason_and_cancels_parallel_approvals(start_purchase, users):
    case = start_purchase(amount="5000", vendor_risk="high")
    finance, legal = task_for(case, "Finance approval"), task_for(case, "Legal review")
    task_complete(
        task_id=task_for(case, "Manager approval").pk,
        actor=users["bob"],
        decision="reject",
        reason="Vendor not on the approved list",
        comment="Use ACME instead",
    )
    case = reload(case)
    assert (case.status_label, case.outcome) == ("closed", "rejected")
    assert case.closed_reason == "Vendor not on the approved list"
    assert open_tasks(case) == []
    assert sorted(e.step for e in events(case, "task.cancelled")) == ["Finance approval", "Legal review"]
    for task in (finance, legal):
        task.refresh_from_db()
        assert task.status == "CANCELED"
    with pytest.raises(Conflict):
        task_complete(task_id=finance.pk, actor=users["fiona"], decision="approve")
    (decided,) = events(case, "task.decided")
    assert (decided.actor_name, decided.reason, decided.comment) == (
        "bob",
        "Vendor not on the approved list",
        "Use ACME instead",
    )


def test_reject_needs_a_reason(start_purchase, users):
    case = start_purchase()
    with pytest.raises(ValidationFailed) as error:
        task_complete(task_id=task_for(case, "Manager approval").pk, actor=users["bob"], decision="reject", reason=" ")
    assert "reason" in error.value.field_errors
    assert reload(case).status_label == "open"


def test_approver_can_return_the_case_for_more_information(start_purchase, users):
    case = start_purchase(amount="5000")
    task_complete(
        task_id=task_for(case, "Manager approval").pk, actor=users["bob"], decision="return", reason="Attach the quote"
    )
    case = reload(case)
    assert case.state == "rework"
    assert "Attach the quote" in task_for(case, REWORK).data["message"]
    assert [t.data["label"] for t in open_tasks(case)] == [REWORK], "the parallel finance task was cancelled"
