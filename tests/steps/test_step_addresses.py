"""A step's literal URL goes through the outbound address rule when it is called: a host taken
from case data that is (or resolves to) a non-public address fails the step at once, without
connecting. Configured endpoints are the administrator's and stay reachable on private networks."""

import socket

import pytest
from django.test import override_settings

from apps.automation.models import ExceptionCategory, StepRun, StepStatus
from apps.cases.models import CaseState
from tests.conftest import reload

from .conftest import APPROVAL, FIELDS, erp_step

no_allow_list = override_settings(WMS_OUTBOUND_ALLOWED_HOSTS=[])


@pytest.fixture
def dns(monkeypatch):
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host == "erp.customer.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port or 0))]
        return real(host, port, family, type, proto, flags)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def host_from_data_flow(publish, erp_settings):
    step = erp_step(
        request={
            "method": "POST",
            "url": "http://{{field.erp_host}}/invoices",
            "body": {"n": "{{field.invoice_number}}"},
        }
    )
    fields = [*FIELDS, {"name": "erp_host", "type": "text", "label": "ERP host"}]
    return publish("invoice-host", [step, APPROVAL], fields=fields)


@no_allow_list
@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("169.254.169.254", "169.254.169.254 is a cloud metadata address"),
        ("10.0.0.5", "10.0.0.5 is a private network address"),
        ("erp.customer.example", "erp.customer.example resolves to 10.0.0.5, a private network address"),
    ],
)
def test_a_literal_url_to_a_non_public_address_fails_the_step_without_connecting(
    start_invoice, host_from_data_flow, dns, connections, host, problem
):
    case = reload(start_invoice(host_from_data_flow, erp_host=host))

    run = StepRun.objects.get(case=case)
    assert connections == []
    assert run.status == StepStatus.EXCEPTION and run.category == ExceptionCategory.CONFIGURATION
    assert run.last_error == (
        f"Not called: {problem}: only public addresses can be called from here."
        " Configure ERP as {{endpoint.NAME}} if it is yours."
    )
    assert case.state == CaseState.EXCEPTION


@no_allow_list
def test_a_configured_endpoint_on_a_private_address_is_still_called(start_invoice, erp_settings):
    """{{endpoint.ERP}} is the tests' server on localhost: trusted without any allow-list."""
    erp_settings.expect_request("/erp/invoices", method="POST").respond_with_json({"reference": "ERP-1"})
    case = reload(start_invoice())
    assert StepRun.objects.get(case=case).status == StepStatus.SUCCEEDED
    assert case.data["erp_reference"] == "ERP-1"
