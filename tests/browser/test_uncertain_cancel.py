"""Cancelling a case whose call timed out, in a browser (issue 12): the ERP booked the invoice
after our wait ran out; oscar's cancel form says the call may have taken effect, shows the
idempotency key, refuses to close until he chooses, and "send its undo call" reaches the ERP."""

import threading
import time

import pytest
from django.test import override_settings
from werkzeug import Response

from apps.automation.models import ExceptionCategory, StepRun, StepStatus
from apps.cases.models import CaseState
from apps.cases.services import case_start
from tests.browser.conftest import expect, shot

FIELDS = [
    {"name": "invoice_number", "type": "text", "label": "Invoice number", "required": True},
    {"name": "amount", "type": "decimal", "label": "Amount", "required": True},
]
STEP = {
    "key": "erp_check",
    "name": "Validate in ERP",
    "type": "http",
    "system": "ERP",
    "request": {"method": "POST", "url": "{{endpoint.ERP}}/invoices", "body": {"invoice": "{{field.invoice_number}}"}},
    "timeout_seconds": 0.3,
    "retry": {"attempts": 1, "backoff_seconds": 1},
    "undo": {"method": "DELETE", "url": "{{endpoint.ERP}}/invoices?invoice={{field.invoice_number}}"},
}
APPROVAL = {"key": "approval", "name": "Approval", "approvers": [{"key": "manager", "type": "manager"}]}


@pytest.mark.django_db(transaction=True)
def test_oscar_resolves_a_timed_out_call_before_the_case_closes(new_page, publish, demo, httpserver):
    release = threading.Event()

    def slow(request):
        release.wait(timeout=3)  # books it, answers after our timeout
        return Response('{"reference": "ERP-000003"}', content_type="application/json")

    httpserver.expect_request("/erp/invoices", method="POST").respond_with_handler(slow)
    httpserver.expect_request("/erp/invoices", method="DELETE").respond_with_json({"cancelled": True})
    with override_settings(WMS_ENDPOINTS={"ERP": httpserver.url_for("/erp")}):
        key = publish("invoice-timeout", [STEP, APPROVAL], fields=FIELDS)
        case, _ = case_start(workflow=key, data={"invoice_number": "INV-1001", "amount": "1200"}, actor=demo["alice"])
        run = StepRun.objects.get(case=case)
        assert (run.status, run.category) == (StepStatus.EXCEPTION, ExceptionCategory.TIMEOUT)
        release.set()
        deadline = time.monotonic() + 5
        while not httpserver.log and time.monotonic() < deadline:
            time.sleep(0.05)

        oscar = new_page("oscar")
        oscar.goto(f"/exceptions/{run.pk}/")
        cancel = oscar.locator("form", has=oscar.get_by_role("button", name="Cancel case"))
        expect(cancel).to_contain_text("may have done it anyway")
        expect(cancel).to_contain_text(run.idempotency_key)
        cancel.locator('[name="reason"]').fill("Vendor withdrew")
        cancel.get_by_role("button", name="Cancel case").click()
        expect(oscar.locator(".field.invalid")).to_contain_text("timed out")
        case.refresh_from_db()
        assert case.state == CaseState.EXCEPTION, "nothing closes until he chooses"
        shot(oscar, "cancel-asks")

        cancel = oscar.locator("form", has=oscar.get_by_role("button", name="Cancel case"))
        cancel.get_by_label("Send its undo call").check()
        cancel.get_by_role("button", name="Cancel case").click()
        expect(oscar.locator(".messages")).to_contain_text("cancel")
        shot(oscar, "cancelled")
        case.refresh_from_db()
        assert case.state == CaseState.CANCELLED
        deadline = time.monotonic() + 5
        while not any(r.method == "DELETE" for r, _ in httpserver.log) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [r.args.get("invoice") for r, _ in httpserver.log if r.method == "DELETE"] == ["INV-1001"]
