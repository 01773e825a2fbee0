"""Cancelling a case whose call timed out (issue 12): the target may have booked it anyway (the
ERP booked ERP-000003, our wait ran out), so the operator resolves it before the case closes:
send its undo call, or confirm it did not take effect. Either choice is audited."""

import threading
import time

import pytest
from werkzeug import Response

from apps.audit.models import Action
from apps.automation.models import ExceptionCategory, StepRun, StepStatus
from apps.automation.services import step_cancel_case
from apps.cases.models import CaseState
from apps.cases.services import case_withdraw
from apps.core.errors import ValidationFailed
from apps.notify.models import Notification
from tests.conftest import events, reload

from .conftest import APPROVAL, erp_step

UNDO_BY_INVOICE = {"method": "DELETE", "url": "{{endpoint.ERP}}/invoices?invoice={{field.invoice_number}}"}


@pytest.fixture
def timed_out(invoice_flow, start_invoice, erp_settings, request):
    """A case whose ERP call timed out once and went to the exception queue (no retries)."""
    undo = getattr(request, "param", UNDO_BY_INVOICE)
    release = threading.Event()

    def slow(request):
        release.wait(timeout=3)  # the ERP books it, but answers after our timeout
        return Response('{"reference": "ERP-000003"}', content_type="application/json")

    erp_settings.expect_request("/erp/invoices", method="POST").respond_with_handler(slow)
    erp_settings.expect_request("/erp/invoices", method="DELETE").respond_with_json({"cancelled": True})
    step = erp_step(timeout_seconds=0.3, retry={"attempts": 1, "backoff_seconds": 1}, undo=undo)
    if undo is None:
        del step["undo"]
    case = start_invoice(invoice_flow(step, APPROVAL))
    run = StepRun.objects.get(case=case)
    assert (run.status, run.category) == (StepStatus.EXCEPTION, ExceptionCategory.TIMEOUT)
    release.set()  # the ERP finishes booking it: our side never heard
    deadline = time.monotonic() + 5
    while not any(request.method == "POST" for request, _ in erp_settings.log) and time.monotonic() < deadline:
        time.sleep(0.05)
    return case, run


def deletes(server):
    return [request for request, _ in server.log if request.method == "DELETE"]


def test_the_case_does_not_close_until_the_operator_resolves_the_call(timed_out, demo, run_committed):
    case, run = timed_out
    with pytest.raises(ValidationFailed) as refused:
        run_committed(step_cancel_case, run_id=run.pk, actor=demo["oscar"], reason="Vendor withdrew")
    assert "timed out" in refused.value.field_errors["uncertain"][0]
    assert reload(case).state == CaseState.EXCEPTION


def test_undo_sends_the_undo_call_of_the_timed_out_step(timed_out, demo, run_committed, erp_settings):
    case, run = timed_out
    run_committed(step_cancel_case, run_id=run.pk, actor=demo["oscar"], reason="Vendor withdrew", uncertain="undo")

    assert reload(case).state == CaseState.CANCELLED
    [undo] = StepRun.objects.filter(case=case, kind="undo")
    assert undo.undo_of_id == run.pk and undo.status == StepStatus.SUCCEEDED
    assert [r.args.get("invoice") for r in deletes(erp_settings)] == ["INV-1001"]
    cancelled = events(case, Action.CASE_CANCELLED)[0]
    assert cancelled.context["uncertain"] == {
        "steps": ["Validate in ERP"],
        "choice": "undo",
        "undo_sent": ["Undo Validate in ERP"],
    }


def test_none_confirms_it_did_not_take_effect_and_sends_nothing(timed_out, demo, run_committed, erp_settings):
    case, run = timed_out
    run_committed(step_cancel_case, run_id=run.pk, actor=demo["oscar"], reason="Checked the ERP", uncertain="none")

    assert reload(case).state == CaseState.CANCELLED
    assert not StepRun.objects.filter(case=case, kind="undo").exists() and deletes(erp_settings) == []
    assert events(case, Action.CASE_CANCELLED)[0].context["uncertain"]["choice"] == "none"


def test_the_cancel_form_says_so_and_asks(timed_out, signed_in):
    case, run = timed_out
    oscar = signed_in("oscar")
    page = oscar.get(f"/exceptions/{run.pk}/").content.decode()
    assert "May have taken effect" in page and run.idempotency_key in page and 'name="uncertain"' in page

    refused = oscar.post(f"/exceptions/{run.pk}/cancel/", {"reason": "Vendor withdrew"})
    assert refused.status_code == 400 and "timed out" in refused.content.decode()
    assert reload(case).state == CaseState.EXCEPTION
    done = oscar.post(f"/exceptions/{run.pk}/cancel/", {"reason": "Checked the ERP", "uncertain": "none"})
    assert done.status_code == 302 and reload(case).state == CaseState.CANCELLED


def test_withdrawing_sends_the_undo_of_a_call_that_may_have_taken_effect(timed_out, demo, run_committed, erp_settings):
    """The requester cannot be asked about the ERP: the undo goes out by itself (harmless if
    nothing was booked) and the closing audit row says so."""
    case, run = timed_out
    run_committed(case_withdraw, case_id=case.pk, actor=demo["alice"], reason="Bought elsewhere")

    assert reload(case).state == CaseState.WITHDRAWN
    [undo] = StepRun.objects.filter(case=case, kind="undo")
    assert undo.undo_of_id == run.pk and undo.status == StepStatus.SUCCEEDED
    assert [r.args.get("invoice") for r in deletes(erp_settings)] == ["INV-1001"]
    run.refresh_from_db()
    assert run.status == StepStatus.CANCELLED and "undo call was sent" in run.resolution
    uncertain = events(case, Action.CASE_WITHDRAWN)[0].context["uncertain"]
    assert uncertain["undo_sent"] == ["Undo Validate in ERP"] and uncertain["to_check"] == []


@pytest.mark.parametrize("timed_out", [None], indirect=True)
def test_withdrawing_tells_the_operators_to_check_a_call_without_undo(timed_out, demo, run_committed):
    case, run = timed_out
    run_committed(case_withdraw, case_id=case.pk, actor=demo["alice"], reason="Bought elsewhere")

    assert reload(case).state == CaseState.WITHDRAWN
    assert not StepRun.objects.filter(case=case, kind="undo").exists()
    run.refresh_from_db()
    assert run.idempotency_key in run.resolution and "check ERP" in run.resolution
    told = Notification.objects.filter(url=f"/exceptions/{run.pk}/", subject__contains="may have taken effect")
    assert {n.user.username for n in told} == {"oscar"}
    assert told[0].subject == f"Check ERP: request #{case.pk} closed after a call that may have taken effect"
    assert events(case, Action.CASE_WITHDRAWN)[0].context["uncertain"]["to_check"] == ["Validate in ERP"]


def test_an_operator_who_cancels_settles_every_timed_out_call_once(timed_out, demo, run_committed, erp_settings):
    case, run = timed_out
    run_committed(step_cancel_case, run_id=run.pk, actor=demo["oscar"], reason="Checked", uncertain="undo")
    assert StepRun.objects.filter(case=case, kind="undo").count() == 1, "the close does not send a second undo"
    assert "uncertain" not in (events(case, Action.CASE_CANCELLED)[0].context.get("compensation") or {})
