"""The it-service-request template through the real engine: the ticket opened in the demo
ticketing system (served by this app over real HTTP), triage, the manager for hardware, and
resolution on the clock of the request's priority; and the ticketing system down: exception
queue, then an operator's retry once it is back."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.automation.models import StepRun, StepStatus
from apps.automation.repair import step_retry
from apps.automation.services import step_retry_due
from apps.cases.models import CaseState
from apps.cases.services import case_start, task_complete
from apps.demo import ticketing
from apps.demo.models import DemoTicket, TicketDeskMode, TicketDeskSettings
from apps.integrations.models import ExceptionCategory
from tests.conftest import open_tasks, reload, task_for

REQUEST = {"summary": "Laptop screen flickers", "category": "hardware", "priority": "high", "asset_tag": "LT-0042"}


@pytest.fixture
def desk(live_server, demo):
    """The demo ticketing system, answering on the live server the step calls."""
    with override_settings(WMS_ENDPOINTS={"TICKETING": live_server.url + "/demo/tickets/api"}):
        yield


def _start(alice, capture, **data):
    with capture(execute=True):
        case, _ = case_start(workflow="it-service-request", data={**REQUEST, **data}, actor=alice)
    return reload(case)


def _decide(capture, label, case, actor, decision="approve", **kwargs):
    with capture(execute=True):
        task_complete(task_id=task_for(case, label).pk, actor=actor, decision=decision, **kwargs)
    return reload(case)


@pytest.mark.django_db(transaction=True)
def test_a_high_priority_hardware_request_gets_a_ticket_triage_manager_and_urgent_resolution(
    desk, demo, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    case = _start(demo["alice"], capture)

    ticket = DemoTicket.objects.get()
    assert case.data["ticket_number"] == ticket.number and ticket.number.startswith("TCK-")
    assert (ticket.summary, ticket.category, ticket.priority, ticket.case_ref) == (
        "Laptop screen flickers",
        "hardware",
        "high",
        str(case.pk),
    )
    assert StepRun.objects.get(case=case).status == StepStatus.SUCCEEDED
    assert [t.data["label"] for t in open_tasks(case)] == ["Service desk triage"]
    triage = task_for(case, "Service desk triage")
    assert triage.sla_clock.target_hours == 4 and triage.sla_clock.business_hours

    case = _decide(capture, "Service desk triage", case, demo["dave"])
    assert [(t.data["label"], t.owner) for t in open_tasks(case)] == [("Manager approval", demo["bob"])]

    case = _decide(capture, "Manager approval", case, demo["bob"])
    urgent = task_for(case, "IT support (urgent)")
    clock = urgent.sla_clock
    # High priority: 8 hours round the clock, escalated after 4, not the routine 40 business hours.
    assert (clock.target_hours, clock.business_hours) == (8, False)
    assert clock.due - clock.started == timedelta(hours=8)
    fired = [(level["after_hours"], level["action"]) for level in clock.levels if level["action"] != "breach"]
    assert fired == [(1, "notify"), (4, "escalate"), (8, "reroute")]

    case = _decide(capture, "IT support (urgent)", case, demo["tom"])
    assert case.state == CaseState.APPROVED and case.outcome == "approved"
    assert DemoTicket.objects.get().closed is None  # a resolved request keeps its ticket


@pytest.mark.django_db(transaction=True)
def test_a_low_priority_software_request_skips_the_manager_and_resolves_on_business_hours(
    desk, demo, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    case = _start(demo["alice"], capture, category="software", priority="low")
    case = _decide(capture, "Service desk triage", case, demo["dave"])
    clock = task_for(case, "IT support").sla_clock
    assert (clock.target_hours, clock.business_hours) == (40, True)
    # Triage turning it down closes the ticket too (the step's undo).
    case = _start(demo["alice"], capture, summary="Printer", category="other", priority="low")
    case = _decide(
        capture, "Service desk triage", case, demo["dave"], decision="reject", reason_code="not_it", reason="Facilities"
    )
    assert case.state == CaseState.REJECTED
    assert DemoTicket.objects.get(case_ref=str(case.pk)).closed is not None


@pytest.mark.django_db(transaction=True)
def test_the_ticketing_system_down_sends_the_case_to_the_exception_queue_and_a_retry_opens_the_ticket(
    desk, demo, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    TicketDeskSettings.objects.create(pk=1, mode=TicketDeskMode.DOWN)
    case = _start(demo["alice"], capture)
    assert StepRun.objects.get(case=case).status == StepStatus.RETRYING
    for hours in (1, 2):  # the sweep retries with backoff: three attempts in all
        with capture(execute=True):
            step_retry_due(at=timezone.now() + timedelta(hours=hours))

    case, run = reload(case), StepRun.objects.get(case=case)
    assert (case.state, run.status, run.category) == (
        CaseState.EXCEPTION,
        StepStatus.EXCEPTION,
        ExceptionCategory.UNAVAILABLE,
    )
    assert run.attempts == 3 and ticketing.MSG_DOWN in run.last_error
    assert not DemoTicket.objects.exists() and not open_tasks(case)

    ticketing.ticket_desk_mode_set(mode=TicketDeskMode.OK, actor=demo["oscar"])
    with capture(execute=True):
        step_retry(run_id=run.pk, actor=demo["oscar"], note="Ticketing is back")

    case, run = reload(case), StepRun.objects.get(case=case)
    assert run.status == StepStatus.SUCCEEDED and run.idempotency_key == f"wms-{case.pk}-open_ticket-r1"
    assert case.data["ticket_number"] == DemoTicket.objects.get().number
    assert [t.data["label"] for t in open_tasks(case)] == ["Service desk triage"]
