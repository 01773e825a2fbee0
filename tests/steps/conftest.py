"""An invoice workflow whose first step calls an "ERP" served by pytest-httpserver."""

import pytest
from django.db import transaction
from django.test import override_settings

from apps.cases.services import case_start

TOKEN = "s3cret-erp-token-123"

FIELDS = [
    {"name": "invoice_number", "type": "text", "label": "Invoice number", "required": True},
    {"name": "amount", "type": "decimal", "label": "Amount", "required": True},
    {"name": "po_number", "type": "text", "label": "PO number"},
    {"name": "erp_reference", "type": "text", "label": "ERP reference"},
]


def erp_step(**overrides):
    step = {
        "key": "erp_check",
        "name": "Validate in ERP",
        "type": "http",
        "system": "ERP",
        "request": {
            "method": "POST",
            "url": "{{endpoint.ERP}}/invoices",
            "headers": {"Authorization": "Bearer {{secret.ERP_TOKEN}}"},
            "body": {"invoice": "{{field.invoice_number}}", "amount": "{{field.amount}}", "po": "{{field.po_number}}"},
        },
        "timeout_seconds": 1,
        "retry": {"attempts": 3, "backoff_seconds": 5, "max_backoff_seconds": 60},
        "response": {"map": {"erp_reference": "reference"}},
        "undo": {"method": "DELETE", "url": "{{endpoint.ERP}}/invoices/{{field.erp_reference}}"},
    }
    step.update(overrides)
    return step


APPROVAL = {"key": "approval", "name": "Approval", "approvers": [{"key": "manager", "type": "manager"}]}


@pytest.fixture
def erp_settings(httpserver):
    with override_settings(WMS_ENDPOINTS={"ERP": httpserver.url_for("/erp")}, WMS_SECRETS={"ERP_TOKEN": TOKEN}):
        yield httpserver


@pytest.fixture
def invoice_flow(publish, erp_settings):
    """Publish the invoice workflow (optionally with other stages); returns its key."""

    def _flow(*stages):
        return publish("invoice-test", list(stages) or [erp_step(), APPROVAL], fields=FIELDS)

    return _flow


@pytest.fixture
def run_committed(django_capture_on_commit_callbacks):
    """Run a service call as committed, with what it queues after commit (q2 runs inline in tests)."""

    def _run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                return fn(*args, **kwargs)

    return _run


@pytest.fixture
def start_invoice(demo, invoice_flow, run_committed):
    def _start(workflow=None, actor=None, **data):
        workflow = workflow or invoice_flow()
        values = {"invoice_number": "INV-1001", "amount": "1200.00", "po_number": "PO-77", **data}
        values = {k: v for k, v in values.items() if v is not None}
        case, _ = run_committed(case_start, workflow=workflow, data=values, actor=actor or demo["alice"])
        return case

    return _start


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """Run the step sweep at a moment, and the attempts it queues."""
    from apps.automation.services import step_retry_due

    def _sweep(at):
        with django_capture_on_commit_callbacks(execute=True):
            return step_retry_due(at=at)

    return _sweep
