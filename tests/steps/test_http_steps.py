"""Automated HTTP steps against a real local HTTP server: retries with backoff, Retry-After,
timeouts, malformed answers, the exception queue, repair and retry, skip, compensation, and the
idempotency key a receiver deduplicates on."""

import json
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from werkzeug import Response

from apps.audit.models import Action
from apps.automation.models import ExceptionCategory, StepRun, StepStatus
from apps.automation.services import step_cancel_case, step_retry, step_skip
from apps.cases.models import CaseState, Outcome
from apps.cases.services import task_complete
from apps.core.errors import NotAllowed, ValidationFailed
from apps.integrations.models import WebhookDelivery
from apps.integrations.services import subscription_create
from tests.conftest import events, open_tasks, reload

from .conftest import APPROVAL, TOKEN, erp_step

ERP = "/erp/invoices"


def requests_to(server, path=ERP):
    return [request for request, _ in server.log if request.path == path]


def keys(server, path=ERP):
    return [r.headers.get("Idempotency-Key") for r in requests_to(server, path)]


def test_a_successful_call_maps_the_answer_and_moves_the_case_on(start_invoice, erp_settings):
    erp_settings.expect_request(ERP, method="POST").respond_with_json({"reference": "ERP-9"})
    case = reload(start_invoice())

    (request,) = requests_to(erp_settings)
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Idempotency-Key"] == f"wms-{case.pk}-erp_check-r1"
    assert json.loads(request.get_data()) == {"invoice": "INV-1001", "amount": "1200.00", "po": "PO-77"}
    assert case.data["erp_reference"] == "ERP-9"
    assert case.state == CaseState.APPROVAL
    assert [t.data["label"] for t in open_tasks(case)] == ["manager"]
    run = StepRun.objects.get(case=case)
    assert run.status == StepStatus.SUCCEEDED
    # What operators and auditors read never holds the secret.
    assert run.last_request["headers"]["Authorization"] == "***"
    assert TOKEN not in json.dumps([run.last_request, list(run.attempt_log.values("request", "response"))], default=str)
    assert [e.action for e in events(case)][:4] == [
        Action.CASE_STARTED,
        Action.CASE_ROUTED,
        Action.STEP_STARTED,
        Action.STEP_SUCCEEDED,
    ]


def test_500_then_200_is_retried_after_a_backoff_with_the_same_idempotency_key(start_invoice, erp_settings, sweep):
    erp_settings.expect_ordered_request(ERP, method="POST").respond_with_json({"message": "db down"}, status=500)
    erp_settings.expect_ordered_request(ERP, method="POST").respond_with_json({"reference": "ERP-2"})
    before = timezone.now()
    case = reload(start_invoice())

    run = StepRun.objects.get(case=case)
    assert run.status == StepStatus.RETRYING and run.category == ExceptionCategory.UNAVAILABLE
    # Backoff 5 s with jitter: between half and all of it.
    assert before + timedelta(seconds=2.5) <= run.next_attempt_at <= timezone.now() + timedelta(seconds=5)
    assert case.state == CaseState.WAITING
    assert case.route["summary"] == "Waiting on ERP: Validate in ERP."

    assert sweep(at=timezone.now()) == 0  # not due yet: nothing is called early
    assert len(requests_to(erp_settings)) == 1
    sweep(at=timezone.now() + timedelta(seconds=6))

    case = reload(case)
    assert case.state == CaseState.APPROVAL and case.data["erp_reference"] == "ERP-2"
    assert keys(erp_settings) == [f"wms-{case.pk}-erp_check-r1"] * 2
    assert list(run.attempt_log.values_list("outcome", "status_code")) == [("retry", 500), ("succeeded", 200)]


def test_429_waits_as_long_as_retry_after_says(start_invoice, erp_settings, sweep):
    erp_settings.expect_ordered_request(ERP, method="POST").respond_with_response(
        Response(
            '{"message": "slow down"}', status=429, headers={"Retry-After": "120"}, content_type="application/json"
        )
    )
    erp_settings.expect_ordered_request(ERP, method="POST").respond_with_json({"reference": "ERP-3"})
    case = start_invoice()

    run = StepRun.objects.get(case=case)
    assert run.status == StepStatus.RETRYING and run.category == ExceptionCategory.RATE_LIMITED
    assert run.next_attempt_at >= timezone.now() + timedelta(seconds=115)  # not the 5 s backoff
    sweep(at=timezone.now() + timedelta(seconds=60))
    assert len(requests_to(erp_settings)) == 1
    sweep(at=timezone.now() + timedelta(seconds=125))
    assert reload(case).state == CaseState.APPROVAL


def test_a_target_that_keeps_timing_out_ends_in_the_exception_queue(invoice_flow, start_invoice, erp_settings, sweep):
    workflow = invoice_flow(erp_step(timeout_seconds=0.3, retry={"attempts": 2, "backoff_seconds": 1}), APPROVAL)

    release = threading.Event()

    def slow(request):
        release.wait(timeout=3)  # longer than the step's timeout
        return Response("{}", content_type="application/json")

    erp_settings.expect_request(ERP, method="POST").respond_with_handler(slow)
    case = start_invoice(workflow)
    assert StepRun.objects.get(case=case).category == ExceptionCategory.TIMEOUT
    sweep(at=timezone.now() + timedelta(seconds=5))

    case, run = reload(case), StepRun.objects.get(case=case)
    assert run.status == StepStatus.EXCEPTION
    assert run.category == ExceptionCategory.TIMEOUT
    assert run.last_error == "ERP did not answer within 0.3 s. Gave up after 2 attempts."
    assert case.state == CaseState.EXCEPTION
    assert "Validate in ERP (timeout)" in case.route["summary"]
    assert list(run.attempt_log.values_list("outcome", flat=True)) == ["retry", "failed"]
    assert events(case, Action.STEP_FAILED)[0].context["category"] == "timeout"
    release.set()  # let the server finish the abandoned requests before the next test
    deadline = time.monotonic() + 5
    while len(erp_settings.log) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)


def test_malformed_json_is_bad_data_at_once_and_repair_with_retry_succeeds(start_invoice, erp_settings, demo):
    erp_settings.expect_ordered_request(ERP, method="POST").respond_with_data(
        "<html>oops", content_type="application/json"
    )
    erp_settings.expect_ordered_request(ERP, method="POST").respond_with_json({"reference": "ERP-4"})
    subscription_create(actor=demo["admin"], name="ops", url="http://127.0.0.1:9/x", events=["case.exception"])
    case = start_invoice()

    run = StepRun.objects.get(case=case)
    assert (run.status, run.category, run.attempts) == (StepStatus.EXCEPTION, ExceptionCategory.BAD_DATA, 1)
    assert "not JSON" in run.last_error
    assert reload(case).state == CaseState.EXCEPTION
    assert WebhookDelivery.objects.get(event="case.exception").payload["data"]["category"] == "bad_data"
    assert len(requests_to(erp_settings)) == 1  # not retried: the same answer would come back


@pytest.mark.parametrize("status", [200, 422])
def test_an_answer_nested_too_deep_is_bad_data_and_its_page_opens(start_invoice, erp_settings, demo, client, status):
    """A target's answer is JSON from outside: a thousand nested arrays made the judge raise
    RecursionError (the step parked as "recording failed") and the operators' page a 500."""
    deep = "[" * 1000 + "]" * 1000
    erp_settings.expect_request(ERP, method="POST").respond_with_data(
        '{"message": ' + deep + "}", status=status, content_type="application/json"
    )
    case = start_invoice()

    run = StepRun.objects.get(case=case)
    assert run.status == StepStatus.EXCEPTION and run.attempts == 1
    assert "RecursionError" not in run.last_error
    if status == 200:
        assert run.category == ExceptionCategory.BAD_DATA and "nested more than 64 levels" in run.last_error
    else:
        assert run.category == ExceptionCategory.REJECTED
    client.force_login(demo["admin"])
    assert client.get(f"/exceptions/{run.pk}/").status_code == 200


def test_missing_data_is_never_sent_and_a_corrected_retry_uses_a_new_key(
    start_invoice, erp_settings, demo, run_committed
):
    erp_settings.expect_request(ERP, method="POST").respond_with_json({"reference": "ERP-5"})
    case = start_invoice(po_number=None)

    run = StepRun.objects.get(case=case)
    assert (run.status, run.category) == (StepStatus.EXCEPTION, ExceptionCategory.MISSING_DATA)
    assert run.last_error == "Field 'po_number' is empty; the call to ERP needs it."
    assert requests_to(erp_settings) == []

    with pytest.raises(ValidationFailed) as invalid:
        run_committed(step_retry, run_id=run.pk, actor=demo["oscar"], data={"amount": "lots"})
    assert "amount" in invalid.value.field_errors
    run_committed(step_retry, run_id=run.pk, actor=demo["oscar"], data={"po_number": "PO-1"}, note="PO from email")

    case = reload(case)
    (request,) = requests_to(erp_settings)
    assert json.loads(request.get_data())["po"] == "PO-1"
    assert request.headers["Idempotency-Key"] == f"wms-{case.pk}-erp_check-r2"  # a different request
    assert case.state == CaseState.APPROVAL
    edited = events(case, Action.CASE_DATA_EDITED)[0]
    assert edited.actor == demo["oscar"]
    assert edited.context["changes"] == {"po_number": {"from": None, "to": "PO-1"}}
    assert events(case, Action.STEP_RETRIED)[0].reason == "PO from email"


def test_rejected_by_target_is_skipped_with_a_reason_and_never_called_again(
    start_invoice, erp_settings, demo, run_committed
):
    erp_settings.expect_request(ERP, method="POST").respond_with_json({"message": "Unknown vendor"}, status=422)
    case = start_invoice()
    run = StepRun.objects.get(case=case)
    assert run.category == ExceptionCategory.REJECTED
    assert run.last_error == "ERP answered 422: Unknown vendor."

    with pytest.raises(ValidationFailed) as invalid:
        run_committed(step_skip, run_id=run.pk, actor=demo["oscar"], reason=" ")
    assert invalid.value.field_errors == {"reason": ["Give a reason."]}
    with pytest.raises(NotAllowed):
        run_committed(step_skip, run_id=run.pk, actor=demo["bob"], reason="not an operator")
    run_committed(step_skip, run_id=run.pk, actor=demo["oscar"], reason="Checked by phone with the vendor")

    case = reload(case)
    assert case.state == CaseState.APPROVAL and case.steps_done == ["erp_check"]
    assert StepRun.objects.get(pk=run.pk).status == StepStatus.SKIPPED
    skipped = events(case, Action.STEP_SKIPPED)[0]
    assert (skipped.actor, skipped.reason) == (demo["oscar"], "Checked by phone with the vendor")

    # Returned to the requester and resubmitted: the ERP step is done, it is not run again.
    (task,) = open_tasks(case)
    run_committed(task_complete, task_id=task.pk, actor=demo["bob"], decision="return", reason="Add notes")
    (rework,) = open_tasks(reload(case))
    run_committed(task_complete, task_id=rework.pk, actor=demo["alice"], decision="submit")
    assert reload(case).state == CaseState.APPROVAL
    assert len(requests_to(erp_settings)) == 1
    assert StepRun.objects.filter(case=case).count() == 1


def test_nobody_repairs_their_own_request(start_invoice, erp_settings, demo, run_committed):
    erp_settings.expect_request(ERP, method="POST").respond_with_json({"message": "no"}, status=422)
    case = start_invoice(actor=demo["oscar"])
    run = StepRun.objects.get(case=case)
    with pytest.raises(NotAllowed, match="segregation of duties"):
        run_committed(step_skip, run_id=run.pk, actor=demo["oscar"], reason="mine")
    assert reload(case).state == CaseState.EXCEPTION


PAYMENT = {
    "key": "payment",
    "name": "Schedule payment",
    "type": "http",
    "system": "Bank",
    "request": {"method": "POST", "url": "{{endpoint.ERP}}/payments", "body": {"ref": "{{field.erp_reference}}"}},
    "retry": {"attempts": 1},
}


def test_cancelling_undoes_the_steps_already_done_and_a_retry_reruns_only_the_failed_step(
    invoice_flow, start_invoice, erp_settings, demo, run_committed
):
    workflow = invoice_flow(erp_step(), PAYMENT, APPROVAL)
    erp_settings.expect_request(ERP, method="POST").respond_with_json({"reference": "ERP-7"})
    erp_settings.expect_request("/erp/payments", method="POST").respond_with_json({"message": "closed"}, status=503)
    erp_settings.expect_request("/erp/invoices/ERP-7", method="DELETE").respond_with_json({"cancelled": True})
    case = start_invoice(workflow)
    payment = StepRun.objects.get(case=case, step_key="payment")
    assert payment.status == StepStatus.EXCEPTION and payment.category == ExceptionCategory.UNAVAILABLE

    run_committed(step_retry, run_id=payment.pk, actor=demo["oscar"])
    assert len(requests_to(erp_settings, "/erp/payments")) == 2
    assert len(requests_to(erp_settings)) == 1  # the ERP step succeeded: never run again

    run_committed(step_cancel_case, run_id=payment.pk, actor=demo["oscar"], reason="Vendor went bankrupt")
    case = reload(case)
    assert (case.state, case.outcome, case.closed_reason) == (
        CaseState.CANCELLED,
        Outcome.CANCELLED,
        "Vendor went bankrupt",
    )
    (undo_call,) = requests_to(erp_settings, "/erp/invoices/ERP-7")
    assert undo_call.method == "DELETE"
    assert undo_call.headers["Idempotency-Key"] == f"wms-{case.pk}-erp_check-undo-r1"
    undo = StepRun.objects.get(case=case, kind="undo")
    assert undo.status == StepStatus.SUCCEEDED and undo.undo_of.step_key == "erp_check"
    assert events(case, Action.CASE_CANCELLED)[0].context["compensation"] == ["Undo Validate in ERP"]
    assert events(case, Action.STEP_COMPENSATED)
    assert open_tasks(case) == []


def test_a_step_that_fails_the_case_compensates_at_once(invoice_flow, start_invoice, erp_settings):
    workflow = invoice_flow(erp_step(), {**PAYMENT, "on_failure": "fail_case"}, APPROVAL)
    erp_settings.expect_request(ERP, method="POST").respond_with_json({"reference": "ERP-8"})
    erp_settings.expect_request("/erp/payments", method="POST").respond_with_json({"message": "IBAN"}, status=400)
    erp_settings.expect_request("/erp/invoices/ERP-8", method="DELETE").respond_with_json({})
    case = reload(start_invoice(workflow))

    assert (case.state, case.outcome, case.is_open) == (CaseState.FAILED, Outcome.FAILED, False)
    assert case.closed_reason == "Schedule payment failed (rejected by target): Bank answered 400: IBAN."
    assert len(requests_to(erp_settings, "/erp/invoices/ERP-8")) == 1
    assert not StepRun.objects.filter(status=StepStatus.EXCEPTION).exists()  # nothing left to repair


def test_a_test_case_builds_the_request_but_never_calls_the_real_system(
    invoice_flow, erp_settings, demo, run_committed
):
    from apps.cases.services import case_start_test
    from apps.definitions.models import DefinitionVersion

    version = DefinitionVersion.objects.get(definition__key=invoice_flow())
    case = run_committed(
        case_start_test,
        version=version,
        data={"invoice_number": "T-1", "amount": "10", "po_number": "PO-T"},
        actor=demo["olivia"],
    )
    case, run = reload(case), StepRun.objects.get(case=case)
    assert requests_to(erp_settings) == []
    assert run.status == StepStatus.SUCCEEDED
    assert run.last_request["body"] == {"invoice": "T-1", "amount": "10.00", "po": "PO-T"}
    assert run.last_response == {"dry_run": True, "note": "Test case: the request was built but not sent."}
    assert case.is_test and case.state == CaseState.APPROVAL


def test_an_answer_the_case_cannot_act_on_parks_the_step_instead_of_calling_again(
    start_invoice, erp_settings, monkeypatch, sweep
):
    from apps.cases import routing

    def broken(case):
        raise KeyError("stage")

    monkeypatch.setattr(routing, "case_route_after_step", broken)
    erp_settings.expect_request(ERP, method="POST").respond_with_json({"reference": "ERP-1"})
    case = start_invoice()

    run = StepRun.objects.get(case=case)
    assert (run.status, run.category) == (StepStatus.EXCEPTION, ExceptionCategory.CONFIGURATION)
    assert "could not move on (KeyError: 'stage')" in run.last_error
    assert reload(case).state == CaseState.EXCEPTION
    sweep(at=timezone.now() + timedelta(hours=1))
    assert len(requests_to(erp_settings)) == 1


def test_withdrawing_a_case_stops_its_retries_and_undoes_what_was_done(
    invoice_flow, start_invoice, erp_settings, demo, run_committed, sweep
):
    from apps.cases.services import case_withdraw

    workflow = invoice_flow(erp_step(), {**PAYMENT, "retry": {"attempts": 5}}, APPROVAL)
    erp_settings.expect_request(ERP, method="POST").respond_with_json({"reference": "ERP-6"})
    erp_settings.expect_request("/erp/payments", method="POST").respond_with_json({}, status=502)
    erp_settings.expect_request("/erp/invoices/ERP-6", method="DELETE").respond_with_json({})
    case = start_invoice(workflow)
    assert StepRun.objects.get(case=case, step_key="payment").status == StepStatus.RETRYING

    run_committed(case_withdraw, case_id=case.pk, actor=demo["alice"], reason="Sent twice")
    sweep(at=timezone.now() + timedelta(hours=1))

    assert StepRun.objects.get(case=case, step_key="payment").status == StepStatus.CANCELLED
    assert len(requests_to(erp_settings, "/erp/payments")) == 1
    assert len(requests_to(erp_settings, "/erp/invoices/ERP-6")) == 1
    assert events(case, Action.CASE_WITHDRAWN)[0].context == {"compensation": ["Undo Validate in ERP"]}


def test_a_successful_attempt_has_a_query_budget(
    start_invoice, erp_settings, monkeypatch, django_assert_max_num_queries
):
    """Lease (3), record the attempt and the step (3), finish the engine task and route to the
    next stage with its approval task, notification, webhook lookup and audit rows (the rest)."""
    from apps.automation.services import step_attempt

    monkeypatch.setattr("apps.automation.base.enqueue", lambda ids: None)
    erp_settings.expect_request(ERP, method="POST").respond_with_json({"reference": "ERP-1"})
    case = start_invoice()
    run = StepRun.objects.get(case=case)
    with django_assert_max_num_queries(32):
        step_attempt(run_id=run.pk)
    assert reload(case).state == CaseState.APPROVAL


def test_a_correction_the_request_does_not_use_keeps_the_idempotency_key(
    invoice_flow, start_invoice, erp_settings, demo, run_committed
):
    """A call that timed out may have been booked: retrying it with the same key books nothing twice."""
    workflow = invoice_flow(erp_step(retry={"attempts": 1}), APPROVAL)
    erp_settings.expect_ordered_request(ERP, method="POST").respond_with_json({}, status=504)
    erp_settings.expect_ordered_request(ERP, method="POST").respond_with_json({"reference": "ERP-5"})
    case = start_invoice(workflow)
    run = StepRun.objects.get(case=case)
    assert (run.status, run.category) == (StepStatus.EXCEPTION, ExceptionCategory.TIMEOUT)

    run_committed(step_retry, run_id=run.pk, actor=demo["oscar"], data={"erp_reference": "typed by hand"})
    assert keys(erp_settings) == [f"wms-{case.pk}-erp_check-r1"] * 2
    assert StepRun.objects.get(pk=run.pk).revision == 1
    assert reload(case).data["erp_reference"] == "ERP-5"  # the ERP's answer wins over the guess


def test_a_secret_echoed_by_the_target_is_redacted_everywhere(start_invoice, erp_settings, demo):
    from apps.notify.models import Notification

    erp_settings.expect_request(ERP, method="POST").respond_with_json(
        {"message": f"token Bearer {TOKEN} is not allowed here"}, status=422
    )
    case = start_invoice()
    run = StepRun.objects.get(case=case)
    assert run.last_error == "ERP answered 422: token Bearer *** is not allowed here."
    stored = json.dumps(
        [
            run.last_error,
            run.last_response,
            list(run.attempt_log.values("error", "request", "response")),
            [(e.reason, e.data, e.context) for e in events(case)],
            list(Notification.objects.values("subject", "body")),
            list(WebhookDelivery.objects.values("payload")),
        ],
        default=str,
    )
    assert TOKEN not in stored


def test_field_values_in_a_url_stay_one_segment(invoice_flow, start_invoice, erp_settings):
    step = erp_step(
        request={"method": "GET", "url": "{{endpoint.ERP}}/invoices/{{field.invoice_number}}?po={{field.po_number}}"},
        response={},
    )
    workflow = invoice_flow(step, APPROVAL)
    erp_settings.expect_request("/erp/invoices/INV 1/../admin?x", method="GET").respond_with_json({})
    case = start_invoice(workflow, invoice_number="INV 1/../admin?x", po_number="a&b=c")
    (request,) = [r for r, _ in erp_settings.log]
    assert request.path == "/erp/invoices/INV 1/../admin?x"  # one segment, decoded by the server
    assert request.args.to_dict() == {"po": "a&b=c"}
    assert reload(case).state == CaseState.APPROVAL


def test_an_answer_from_a_worker_whose_lease_ended_does_not_move_the_case(
    start_invoice, erp_settings, monkeypatch, demo, run_committed
):
    """A hung worker answers after the sweep and an operator's retry took over the step."""
    from apps.automation import attempts

    monkeypatch.setattr("apps.automation.base.enqueue", lambda ids: None)
    erp_settings.expect_request(ERP, method="POST").respond_with_json({"reference": "ERP-OLD"})
    case = start_invoice()
    run = StepRun.objects.get(case=case)
    stale = attempts._lease(run.pk)  # worker A takes the step and hangs
    StepRun.objects.filter(pk=run.pk).update(status=StepStatus.EXCEPTION, attempts=0)  # ... it failed meanwhile
    run_committed(step_retry, run_id=run.pk, actor=demo["oscar"])
    fresh = attempts._lease(run.pk)  # worker C retries for the operator
    assert fresh.number == stale.number == 1

    attempts._record(stale, attempts.call_send(stale.request, timeout=1))
    assert reload(case).state == CaseState.WAITING
    assert StepRun.objects.get(pk=run.pk).attempt_log.get().outcome == "late"
    attempts._record(fresh, attempts.call_send(fresh.request, timeout=1))
    assert reload(case).state == CaseState.APPROVAL


def test_a_call_that_took_effect_after_its_case_was_closed_is_undone(
    start_invoice, erp_settings, monkeypatch, demo, run_committed, django_capture_on_commit_callbacks
):
    from apps.automation import attempts
    from apps.cases.services import case_withdraw

    monkeypatch.setattr("apps.automation.base.enqueue", lambda ids: None)
    erp_settings.expect_request(ERP, method="POST").respond_with_json({"reference": "ERP-LATE"})
    erp_settings.expect_request("/erp/invoices/ERP-LATE", method="DELETE").respond_with_json({})
    case = start_invoice()
    lease = attempts._lease(StepRun.objects.get(case=case).pk)  # the call is under way ...
    run_committed(case_withdraw, case_id=case.pk, actor=demo["alice"], reason="Entered twice")  # ... when she withdraws
    assert StepRun.objects.get(pk=lease.run_id).status == StepStatus.CANCELLED

    monkeypatch.undo()  # from here on, queued work runs
    with django_capture_on_commit_callbacks(execute=True):
        attempts._record(lease, attempts.call_send(lease.request, timeout=1))  # ... and the ERP booked it

    assert len(requests_to(erp_settings, "/erp/invoices/ERP-LATE")) == 1
    undo = StepRun.objects.get(case=case, kind="undo")
    assert undo.status == StepStatus.SUCCEEDED
    assert reload(case).state == CaseState.WITHDRAWN


def test_the_undo_deletes_what_the_step_booked_not_what_the_case_says_now(
    start_invoice, erp_settings, demo, run_committed
):
    from apps.cases.services import case_withdraw

    erp_settings.expect_request(ERP, method="POST").respond_with_json({"reference": "ERP-7"})
    erp_settings.expect_request("/erp/invoices/ERP-7", method="DELETE").respond_with_json({})
    case = start_invoice()
    (task,) = open_tasks(reload(case))
    run_committed(task_complete, task_id=task.pk, actor=demo["bob"], decision="return", reason="Check it")
    (rework,) = open_tasks(reload(case))
    run_committed(
        task_complete, task_id=rework.pk, actor=demo["alice"], decision="submit", data={"erp_reference": "ERP-1"}
    )
    run_committed(case_withdraw, case_id=case.pk, actor=demo["alice"], reason="Wrong supplier")

    assert [r.path for r in requests_to(erp_settings, "/erp/invoices/ERP-7")] == ["/erp/invoices/ERP-7"]
    assert not any(r.path.endswith("ERP-1") for r, _ in erp_settings.log)


def test_a_rejected_invoice_is_cancelled_in_the_erp(start_invoice, erp_settings, demo, run_committed):
    erp_settings.expect_request(ERP, method="POST").respond_with_json({"reference": "ERP-9"})
    erp_settings.expect_request("/erp/invoices/ERP-9", method="DELETE").respond_with_json({})
    case = start_invoice()
    (task,) = open_tasks(reload(case))
    run_committed(task_complete, task_id=task.pk, actor=demo["bob"], decision="reject", reason="Not ours")

    assert reload(case).outcome == Outcome.REJECTED
    assert len(requests_to(erp_settings, "/erp/invoices/ERP-9")) == 1
    closed = events(case, Action.CASE_CLOSED)[0]
    assert closed.context == {"outcome": "rejected", "compensation": ["Undo Validate in ERP"]}
