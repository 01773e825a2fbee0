"""The hr-request template through the real engine: the request type decides the route (leave:
the manager, then HR; pay questions: payroll only), and the requester sees the request's SLA."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.cases.models import CaseState, Outcome
from apps.cases.services import case_start, task_complete
from apps.core.errors import NotAllowed
from apps.sla.models import ClockKind, SlaClock
from tests.conftest import open_tasks, reload, task_for

LEAVE = {"request_type": "leave", "leave_type": "annual", "leave_start": "2026-12-21", "leave_end": "2026-12-31"}
PAYROLL = {"request_type": "payroll", "pay_period": "2026-11", "pay_issue": "wrong_amount"}


@pytest.fixture
def ask(demo):
    def _ask(data, actor="alice"):
        case, _ = case_start(workflow="hr-request", data=data, actor=demo[actor])
        return case

    return _ask


def test_leave_goes_to_the_manager_then_hr_and_is_approved(ask, demo):
    case = ask(LEAVE)
    assert case.state == CaseState.APPROVAL and case.stage == "manager_approval"
    manager = task_for(case, "Manager approval")
    assert manager.owner == demo["bob"]  # alice's manager
    task_complete(task_id=manager.pk, actor=demo["bob"], decision="approve")

    case = reload(case)
    assert case.stage == "hr_review"
    hr = task_for(case, "HR decision")
    assert hr.owner is None and hr.data["role"] == "hr"  # waits in the hr role's queue
    task_complete(task_id=hr.pk, actor=demo["hanna"], decision="approve")
    case = reload(case)
    assert case.outcome == Outcome.APPROVED


def test_a_pay_question_goes_to_payroll_only_and_hr_cannot_take_it(ask, demo):
    case = ask(PAYROLL)
    assert case.stage == "payroll_review"
    assert [t.data.get("label") for t in open_tasks(case)] == ["Payroll answer"]
    route = {r["rule"]: r["result"] for r in case.route["rules"]}
    assert route == {"Manager approval stage": False, "HR stage": False, "Payroll stage": True}
    task = task_for(case, "Payroll answer")
    with pytest.raises(NotAllowed):
        task_complete(task_id=task.pk, actor=demo["hanna"], decision="approve")
    task_complete(
        task_id=task.pk, actor=demo["paul"], decision="reject", reason_code="missing_information", reason="Payslip?"
    )
    case = reload(case)
    assert case.outcome == Outcome.REJECTED
    assert "Payslip?" in case.closed_reason


def test_personal_data_and_letters_go_straight_to_hr(ask):
    for data in (
        {"request_type": "personal_data", "change_details": "New address: Main St 1"},
        {"request_type": "reference_letter", "letter_purpose": "Landlord"},
    ):
        case = ask(data)
        assert case.stage == "hr_review"
        assert [t.data.get("label") for t in open_tasks(case)] == ["HR decision"]


def test_the_requester_sees_the_due_time_and_state_of_the_request(ask, demo, client):
    case = ask(PAYROLL)
    clock = SlaClock.objects.get(case=case, kind=ClockKind.CASE)
    assert clock.target_hours == 40 and clock.business_hours
    client.force_login(demo["alice"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Service level" in page and "40 business hours for the whole request" in page
    assert '<span class="badge ok">on time</span>' in page
    listing = client.get("/requests/").content.decode()
    assert "<th>Due</th>" in listing and '<span class="badge ok">on time</span>' in listing

    SlaClock.objects.filter(pk=clock.pk).update(due=timezone.now() - timedelta(hours=1))
    assert '<span class="badge bad">overdue</span>' in client.get(f"/cases/{case.pk}/").content.decode()
    assert '<span class="badge bad">overdue</span>' in client.get("/requests/").content.decode()

    task_complete(task_id=task_for(case, "Payroll answer").pk, actor=demo["paul"], decision="approve")
    closed = client.get(f"/cases/{case.pk}/").content.decode()
    assert "was due" in closed and '<span class="badge bad">breached</span>' in closed
