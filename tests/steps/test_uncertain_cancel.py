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
from apps.core.errors import ValidationFailed
from tests.conftest import events, reload

from .conftest import APPROVAL, erp_step

UNDO_BY_INVOICE = {"method": "DELETE", "url": "{{endpoint.ERP}}/invoices?invoice={{field.invoice_number}}"}


@pytest.fixture
def timed_out(invoice_flow, start_invoice, erp_settings):
    """A case whose ERP call timed out once and went to the exception queue (no retries)."""
    release = threading.Event()

    def slow(request):
        release.wait(timeout=3)  # the ERP books it, but answers after our timeout
        return Response('{"reference": "ERP-000003"}', content_type="application/json")

    erp_settings.expect_request("/erp/invoices", method="POST").respond_with_handler(slow)
    erp_settings.expect_request("/erp/invoices", method="DELETE").respond_with_json({"cancelled": True})
    step = erp_step(timeout_seconds=0.3, retry={"attempts": 1, "backoff_seconds": 1}, undo=UNDO_BY_INVOICE)
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
