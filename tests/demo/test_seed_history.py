"""`seed_demo --history DAYS`: a past lived through the services, consistent and in the past."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from apps.audit.models import Action, AuditEvent
from apps.automation.models import StepRun, StepStatus
from apps.cases.models import Case, CaseState
from apps.cases.selectors import case_similar_counts
from apps.definitions.accessors import spec_of
from apps.definitions.library import LIBRARY
from apps.definitions.models import DefinitionVersion
from apps.demo.models import DemoTicket, ErpCall, ErpInvoice
from apps.notify.models import Notification
from apps.schedules.models import ScheduleRun

# A fixed present (a Wednesday afternoon), so the story does not depend on the weekday the suite runs.
PRESENT = datetime(2026, 11, 4, 15, 0, tzinfo=UTC)
DAYS = 10


def _cases_with(*actions) -> set[int]:
    sets = [set(AuditEvent.objects.filter(action=a).values_list("case_id", flat=True)) for a in actions]
    return set.intersection(*sets)


def _seed(*args):
    call_command("seed_demo", "--force", *args)


@pytest.fixture(scope="module")
def lived_history(django_db_setup, django_db_blocker):
    """Ten days of history up to PRESENT, lived once for the module (committed, outside any test
    transaction: the steps run after their commits and the in-process ERP reads what the history
    wrote), flushed afterwards. The tests read it; each one's own writes roll back."""
    with django_db_blocker.unblock():
        with time_machine.travel(PRESENT, tick=True):
            _seed("--history", str(DAYS))
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def history(lived_history, db):
    return list(Case.objects.select_related("version", "definition").order_by("pk"))


def test_history_tells_every_kind_of_story(history):
    states = {case.state for case in history}
    assert {CaseState.APPROVED, CaseState.REJECTED, CaseState.WITHDRAWN} <= states
    assert {CaseState.APPROVAL, CaseState.REWORK, CaseState.EXCEPTION} <= states, "work still open at the end"
    assert {c.definition.key for c in history} == {t["key"] for t in LIBRARY}, "every template has cases"
    rejected = AuditEvent.objects.filter(action=Action.TASK_DECIDED, context__decision="reject")
    assert all(e.context["reason_code"] for e in rejected) and rejected.exists()
    returned = _cases_with(Action.CASE_RETURNED, Action.CASE_RESUBMITTED)
    assert Case.objects.filter(pk__in=returned, state=CaseState.APPROVED).exists()
    repaired = _cases_with(Action.STEP_FAILED, Action.STEP_RETRIED)
    assert StepRun.objects.filter(case_id__in=repaired, status=StepStatus.SUCCEEDED).count() >= 2
    assert _cases_with(Action.STEP_FAILED, Action.STEP_RETRIED, Action.CASE_DATA_EDITED), "data edited, then retried"
    assert AuditEvent.objects.filter(action=Action.SLA_REMINDED).exists()
    assert AuditEvent.objects.filter(action=Action.SLA_BREACHED).exists()
    assert AuditEvent.objects.filter(action=Action.SLA_ESCALATED).exists()
    assert ErpInvoice.objects.exists(), "the invoices were booked in the demo ERP"


def test_history_changes_version_halfway_and_each_case_keeps_its_own(history):
    versions = list(DefinitionVersion.objects.filter(definition__key="purchase-approval").order_by("number"))
    assert [(v.number, v.status) for v in versions] == [(1, "published"), (2, "published")]
    v2 = versions[1]
    assert "5,000" in v2.spec["form_intro"] and "1,000" not in v2.spec["form_intro"]
    purchases = [c for c in history if c.definition.key == "purchase-approval"]
    assert {c.version.number for c in purchases} == {1, 2}
    for case in purchases:
        # Pinned to the version that was live when it started.
        assert case.version.number == (2 if case.created >= v2.published_at else 1)


def test_history_is_in_the_past_within_its_window_and_in_order(history):
    window = PRESENT - timedelta(days=DAYS + 1)
    for case in history:
        assert window < case.created < PRESENT
        assert case.finished is None or case.created <= case.finished < PRESENT
        assert case.version.published_at <= case.created
        events = list(AuditEvent.objects.filter(case_id=case.pk).order_by("id"))
        assert events[0].action == Action.CASE_STARTED
        times = [e.at for e in events]
        assert times == sorted(times), f"case {case.pk}'s audit trail is out of order"
        assert window < times[0] and times[-1] < PRESENT
    assert not Notification.objects.filter(created__gte=PRESENT).exists()
    # What came before the last day has been read; the last day's news is unread.
    assert Notification.objects.filter(read_at__isnull=False).exists()
    # Read or not is the portal's: a customer contact's reminder (an address, no user) is only mailed.
    unread = Notification.objects.filter(user__isnull=False, read_at__isnull=True)
    assert not unread.filter(created__lt=PRESENT - timedelta(days=3)).exists()


def test_history_onboards_customers_and_answers_hr_requests(history):
    onboardings = [c for c in history if c.workflow_key == "customer-onboarding"]
    assert any(c.outcome == "approved" and c.data.get("customer_reference") for c in onboardings), "activated"
    recorded = _cases_with(Action.STEP_SKIPPED) & {c.pk for c in onboardings}
    assert recorded, "a customer's documents recorded by a person"
    hr = [c for c in history if c.workflow_key == "hr-request"]
    assert {c.data["request_type"] for c in hr} >= {"leave", "payroll"}
    assert any(c.outcome == "approved" for c in hr)


def test_history_tells_access_it_policy_exception_and_scheduled_report_stories(history):
    access = [c for c in history if c.workflow_key == "access-request"]
    revoked = [c for c in access if c.outcome == "approved" and c.data.get("revocation_reference")]
    assert revoked, "an access expired and its scheduled step revoked it"
    (case,) = revoked
    assert case.data["access_granted"] and case.finished.date() >= date.fromisoformat(case.data["access_expires"])
    assert ErpCall.objects.filter(path="/demo/erp/access/revocations", status_code=200, effect=True).exists()
    owners = {c.data["system_owner"] for c in access}
    assert owners and owners.isdisjoint({c.requester.username for c in access})
    assert any(c.outcome == "rejected" and "More access than the work needs" in c.closed_reason for c in access)

    it = [c for c in history if c.workflow_key == "it-service-request"]
    assert all(c.data.get("ticket_number", "").startswith("TCK-") for c in it)
    assert DemoTicket.objects.count() == len(it)
    assert any(c.data["priority"] == "critical" and c.outcome == "approved" for c in it), "an urgent one resolved"
    deciders = set(
        AuditEvent.objects.filter(case_id__in=[c.pk for c in it], action=Action.TASK_DECIDED).values_list(
            "actor__username", flat=True
        )
    )
    assert {"dave", "tom"} <= deciders

    exceptions = [c for c in history if c.workflow_key == "policy-exception"]
    deciders = set(
        AuditEvent.objects.filter(case_id__in=[c.pk for c in exceptions], action=Action.TASK_DECIDED).values_list(
            "actor__username", flat=True
        )
    )
    assert {"paula", "rita"} <= deciders
    ended = [c for c in exceptions if c.data.get("end_reference")]
    assert ended and all(c.outcome == "approved" and c.finished for c in ended), "an exception ended on its expiry"
    assert any(c.state == CaseState.WAITING for c in exceptions), "approved exceptions in force"
    assert any(c.outcome == "rejected" and c.closed_reason for c in exceptions)
    last = max((c for c in exceptions if c.requester.username == "alice"), key=lambda c: c.pk)
    counts = case_similar_counts(case=last, similar=spec_of(last.version).similar_cases)
    assert {row["same"]: row["count"] for row in counts}["requester"] >= 1, "alice's earlier exception is counted"

    runs = list(ScheduleRun.objects.select_related("case"))
    reports = [c for c in history if c.workflow_key == "recurring-report"]
    assert len(runs) == len(reports) >= 3 and {r.case_id for r in runs} == {c.pk for c in reports}
    assert [r.started_late for r in runs].count(True) == 1, "the run the runner started late is marked"
    failed_then_retried = _cases_with(Action.STEP_FAILED, Action.STEP_RETRIED) & {c.pk for c in reports}
    assert failed_then_retried and all(
        Case.objects.get(pk=pk).data.get("extract_reference") for pk in failed_then_retried
    )


def test_seeding_again_does_not_double_the_history(history):
    with time_machine.travel(PRESENT + timedelta(hours=1), tick=True):
        _seed("--history", str(DAYS))
    assert Case.objects.count() == len(history)
    assert DefinitionVersion.objects.filter(definition__key="purchase-approval").count() == 2
