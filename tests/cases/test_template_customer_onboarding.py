"""The customer-onboarding template through the real engine: sales hands the customer over, the
case waits for the customer (their portal calls back, or a person records the answer), compliance
and operations decide, and an approved case is an active customer. A customer who never answers
is reminded by e-mail, the sales rep and their manager are told, and operators close it."""

import json
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.utils import timezone

from apps.audit.models import Action
from apps.automation.models import ExceptionCategory, StepRun, StepStatus
from apps.automation.services import step_cancel_case, step_retry_due
from apps.cases.models import CaseState, Outcome
from apps.cases.services import case_start, task_complete
from apps.core.errors import NotAllowed
from apps.integrations import endpoints
from apps.integrations.services import webhook_sign
from apps.notify.models import Notification
from apps.sla.models import ClockKind, SlaClock
from apps.sla.sweeper import sla_sweep
from tests.conftest import events, reload, task_for

SECRET = "whsec_" + "d" * 40
CUSTOMER = {
    "company_name": "Globex",
    "contact_name": "Hank Scorpio",
    "contact_email": "hank@globex.example",
    "expected_monthly_volume": "25000",
}


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a service as committed, with what it queues after commit (q2 runs inline in tests)."""

    def _run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                return fn(*args, **kwargs)

    return _run


@pytest.fixture
def onboard(demo, committed):
    def _onboard(**data):
        case, _ = committed(case_start, workflow="customer-onboarding", data={**CUSTOMER, **data}, actor=demo["sally"])
        return reload(case)

    return _onboard


@pytest.fixture
def customer_portal(demo):
    """The customer portal's inbound endpoint: it completes the wait when the customer sends the documents."""
    return endpoints.endpoint_create(
        actor=demo["admin"],
        slug="customer-documents",
        name="Customer documents",
        workflow="customer-onboarding",
        run_as=get_user_model().objects.create_user("customer-portal"),
        field_map={"documents_received": "complete", "customer_reference": "reference"},
        secret=SECRET,
        action="complete_step",
        step="customer_documents",
        case_path="case",
    )


def call_back(client, case_id, delivery="docs-1"):
    body = json.dumps({"case": case_id, "complete": True, "reference": "CP-4711"}).encode()
    timestamp = int(time.time())
    return client.post(
        "/api/v1/hooks/customer-documents/",
        data=body,
        content_type="application/json",
        HTTP_X_WMS_TIMESTAMP=str(timestamp),
        HTTP_X_WMS_SIGNATURE=webhook_sign(secret=SECRET, delivery=delivery, timestamp=timestamp, body=body),
        HTTP_X_WMS_DELIVERY=delivery,
    )


def test_the_customer_answers_and_the_account_is_activated(onboard, customer_portal, client, demo):
    case = onboard()
    assert case.state == CaseState.WAITING and case.stage == "customer_documents"
    assert case.route["summary"] == "Waiting on Customer: Waiting for customer."
    clock = SlaClock.objects.get(case=case, kind=ClockKind.WAIT)
    assert (clock.stage, float(clock.target_hours), clock.business_hours) == ("customer_documents", 72.0, False)

    assert call_back(client, case.pk).status_code == 202
    case = reload(case)
    assert case.data["documents_received"] is True and case.data["customer_reference"] == "CP-4711"
    assert case.stage == "compliance_review"
    task_complete(task_id=task_for(case, "Compliance check (KYC)").pk, actor=demo["connie"], decision="approve")
    case = reload(case)
    assert case.stage == "activation"
    activation = task_for(case, "Activate the account")
    with pytest.raises(NotAllowed):  # compliance may not activate
        task_complete(task_id=activation.pk, actor=demo["connie"], decision="approve")
    task_complete(task_id=activation.pk, actor=demo["opal"], decision="approve")
    case = reload(case)
    assert case.outcome == Outcome.APPROVED
    # The customer answered in time: the wait's clock stopped before any reminder.
    assert sla_sweep(at=timezone.now() + timedelta(hours=30)) == []
    assert not Notification.objects.filter(address=CUSTOMER["contact_email"]).exists()


def test_an_enterprise_deal_goes_through_the_sales_manager_and_a_person_records_the_answer(onboard, demo, client):
    case = onboard(segment="enterprise", risk_level="high")
    assert case.stage == "sales_review"
    task_complete(task_id=task_for(case, "Sales manager sign-off").pk, actor=demo["carol"], decision="approve")
    case = reload(case)
    assert case.state == CaseState.WAITING
    run = StepRun.objects.get(case=case, step_key="customer_documents")

    client.force_login(demo["oscar"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "The answer came another way? Record it, or close the request" in page
    client.post(f"/exceptions/{run.pk}/skip/", {"reason": "Documents came by e-mail to sally"})
    case = reload(case)
    assert StepRun.objects.get(pk=run.pk).status == StepStatus.SKIPPED
    assert case.stage == "compliance_review"
    # High risk: legal reviews too, in parallel with compliance.
    assert {
        task_for(case, label).data["role"]
        for label in ("Compliance check (KYC)", "Legal review of a high-risk customer")
    } == {"compliance", "legal"}
    skipped = events(case, Action.STEP_SKIPPED)[0]
    assert (skipped.actor_name, skipped.reason) == ("oscar", "Documents came by e-mail to sally")


def test_a_customer_who_never_answers_is_reminded_then_escalated_then_closed(onboard, demo, committed):
    case = onboard()
    start = timezone.now()

    def sweep(hours):
        return committed(sla_sweep, at=start + timedelta(hours=hours))

    assert sweep(23) == []
    assert [f.action for f in sweep(25)] == ["notify"]
    assert [m.to for m in mail.outbox] == [[CUSTOMER["contact_email"]]]
    assert mail.outbox[0].subject == f"Reminder: we are waiting for you (request #{case.pk})"
    assert "Waiting for customer for request" in mail.outbox[0].body and "/notifications/" not in mail.outbox[0].body

    assert [f.action for f in sweep(49)] == ["notify", "remind"]
    assert [m.to for m in mail.outbox][1:] == [[CUSTOMER["contact_email"]], [demo["sally"].email]]
    assert [f.action for f in sweep(73)] == ["breach", "notify"]
    assert mail.outbox[-1].to == [demo["carol"].email]  # sally's manager
    assert sweep(73) == []  # every level fires once
    notified = [e.reason for e in events(case, Action.SLA_NOTIFIED)]
    assert notified[:2] == [f"Reminded the contact in contact_email: {CUSTOMER['contact_email']}."] * 2

    # Still silent when the wait runs out: the operators' exception queue, then closed by a person.
    with transaction.atomic():
        step_retry_due(at=start + timedelta(hours=121))
    run = StepRun.objects.get(case=case, step_key="customer_documents")
    assert (run.status, run.category) == (StepStatus.EXCEPTION, ExceptionCategory.TIMEOUT)
    assert reload(case).state == CaseState.EXCEPTION
    committed(step_cancel_case, run_id=run.pk, actor=demo["oscar"], reason="Customer did not answer")
    case = reload(case)
    assert (case.state, case.outcome) == (CaseState.CANCELLED, Outcome.CANCELLED)
    assert sweep(200) == []  # a closed case reminds nobody
    assert len(Notification.objects.filter(address=CUSTOMER["contact_email"])) == 2


def test_the_contact_reminder_must_name_an_email_field():
    import copy

    from apps.definitions.library import CUSTOMER_ONBOARDING
    from apps.definitions.spec import validate_spec

    spec = copy.deepcopy(CUSTOMER_ONBOARDING["spec"])
    spec["stages"][1]["sla"]["levels"][0]["notify"] = {"field": "contact_name"}
    assert validate_spec(spec) == [
        "Stage 'customer_documents' SLA, level 1: notify field 'contact_name' must be an e-mail field of this workflow."
    ]
