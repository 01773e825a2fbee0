"""The access-request template through the real engine: the system owner named on the form and
security approve (never the requester), security records the access granted, and on the expiry
date the scheduled step revokes the access over HTTP; its main exception, a rejection by the
system owner, closes the case with the reason and never calls the access control."""

import json
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from apps.audit.models import Action
from apps.automation.models import StepRun, StepStatus
from apps.cases.models import CaseState, Outcome
from apps.cases.services import case_start, task_complete
from apps.core.errors import NotAllowed
from tests.conftest import events, open_tasks, reload
from tests.steps.conftest import TOKEN

REVOKE = "/erp/access/revocations"
EXPIRES = date.today() + timedelta(days=30)


@pytest.fixture
def access_control(httpserver):
    """The access control the revoke step calls (the demo ERP's endpoint, stood in for here)."""
    from django.test import override_settings

    with override_settings(WMS_ENDPOINTS={"ERP": httpserver.url_for("/erp")}, WMS_SECRETS={"ERP_TOKEN": TOKEN}):
        yield httpserver


@pytest.fixture
def ask(demo, django_capture_on_commit_callbacks):
    def _ask(actor="alice", **data):
        values = {
            "system": "ERP production",
            "access_level": "read",
            "system_owner": "ivan",
            "ticket_reference": "SD-4711",
            "justification": "Month-end closing",
            "access_expires": EXPIRES.isoformat(),
            **data,
        }
        case, _ = case_start(workflow="access-request", data=values, actor=demo[actor])
        return case

    return _ask


def decide(demo, case, username, decision="approve", **kwargs):
    (task,) = open_tasks(case)
    task_complete(task_id=task.pk, actor=demo[username], decision=decision, **kwargs)
    return reload(case)


def test_typical_path_owner_then_security_then_revoked_on_the_expiry_date(
    demo, ask, access_control, django_capture_on_commit_callbacks
):
    from apps.automation.services import step_retry_due

    access_control.expect_request(REVOKE, method="POST").respond_with_json({"reference": "REV-1"})
    case = ask()
    (owner_task,) = open_tasks(case)
    assert owner_task.owner == demo["ivan"]  # the system owner named on the form
    with pytest.raises(NotAllowed):  # the requester never approves
        task_complete(task_id=owner_task.pk, actor=demo["alice"], decision="approve")

    case = decide(demo, case, "ivan")
    (security,) = open_tasks(case)
    assert security.owner_permission == "role:security"
    with django_capture_on_commit_callbacks(execute=True):
        case = decide(demo, case, "sam", data={"access_granted": "Role ERP_READ for alice"})

    # Granted; the case waits for the expiry date and nothing is called before it.
    assert case.state == CaseState.WAITING and case.is_open
    assert (
        case.route["summary"]
        == f"Waiting until {EXPIRES.isoformat()} (Access expires), then Access control: Revoke access on expiry."
    )
    run = StepRun.objects.get(case=case)
    expiry = datetime.combine(EXPIRES, time.min, tzinfo=timezone.get_default_timezone())
    assert run.status == StepStatus.PENDING and run.next_attempt_at == expiry
    with django_capture_on_commit_callbacks(execute=True):
        assert step_retry_due(at=expiry - timedelta(minutes=1)) == 0
    assert access_control.log == []

    with django_capture_on_commit_callbacks(execute=True):
        assert step_retry_due(at=expiry + timedelta(minutes=1)) == 1
    ((request, _),) = access_control.log
    assert request.headers["Idempotency-Key"] == f"wms-{case.pk}-revoke-r1"
    assert json.loads(request.get_data()) == {
        "case": case.pk,
        "ticket": "SD-4711",
        "system": "ERP production",
        "access": "Role ERP_READ for alice",
    }
    case = reload(case)
    assert case.outcome == Outcome.APPROVED and not case.is_open
    assert case.data["revocation_reference"] == "REV-1"
    # The evidence: ticket, justification and the access granted are in the case history.
    decided = [e for e in events(case, Action.TASK_DECIDED) if e.actor_name == "sam"]
    assert decided[0].context["entered"] == {"access_granted": "Role ERP_READ for alice"}
    assert events(case, Action.CASE_STARTED)[0].data["ticket_reference"] == "SD-4711"


def test_admin_access_from_outside_it_also_needs_the_manager(demo, ask):
    case = ask(access_level="admin")
    assert sorted((t.data["label"], t.owner.username) for t in open_tasks(case)) == [
        ("Manager approval", "bob"),
        ("System owner approval", "ivan"),
    ]
    rule = next(r for r in case.route["rules"] if r["rule"] == "Manager approval")
    assert rule["inputs"] == {"access_level": "admin", "requester.department": "Engineering"}


def test_main_exception_the_system_owner_rejects_and_nothing_is_revoked(demo, ask, access_control):
    case = ask()
    case = decide(
        demo, case, "ivan", "reject", reason_code="no_business_need", reason="Read access is enough via reports"
    )
    assert case.state == CaseState.REJECTED and case.outcome == Outcome.REJECTED
    assert case.closed_reason == "No business need: Read access is enough via reports"
    assert not StepRun.objects.filter(case=case).exists()
    assert access_control.log == []


def test_security_cannot_approve_without_recording_the_access_granted(demo, ask):
    from apps.core.errors import ValidationFailed

    case = decide(demo, ask(), "ivan")
    (security,) = open_tasks(case)
    with pytest.raises(ValidationFailed) as refused:
        task_complete(task_id=security.pk, actor=demo["sam"], decision="approve")
    assert refused.value.field_errors == {"access_granted": ["This field is required."]}
    assert reload(case).state == CaseState.APPROVAL
