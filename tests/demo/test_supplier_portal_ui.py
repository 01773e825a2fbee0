"""The demo supplier portal driven by the UI step runner itself (apps.integrations.ui, Debian's
Chromium), with the contract's script: the order is entered and its number read; the guard then
finds it; "changed" is a page change, a wrong password a refused login, "slow" a timeout."""

import pytest
from django.test import override_settings

from apps.definitions.accessors import Stage
from apps.demo.models import SupplierOrder, SupplierPortalSettings
from apps.integrations.models import ExceptionCategory
from apps.integrations.ui import ui_build, ui_run

pytestmark = [pytest.mark.usefixtures("ui_runner"), pytest.mark.django_db(transaction=True)]

LOGIN = [
    {"do": "goto", "url": "{{endpoint.SUPPLIER_PORTAL}}/login/"},
    {"do": "fill", "selector": "#username", "value": "{{secret.SUPPLIER_PORTAL_USER}}"},
    {"do": "fill", "selector": "#password", "value": "{{secret.SUPPLIER_PORTAL_PASSWORD}}"},
    {"do": "click", "selector": "button[type=submit]"},
]
SCRIPT = [
    *LOGIN,
    {"do": "expect_text", "selector": "h1", "text": "Orders", "login": True},
    {"do": "goto", "url": "{{endpoint.SUPPLIER_PORTAL}}/orders/new/"},
    {"do": "fill", "selector": "#po-number", "value": "{{field.po_number}}"},
    {"do": "fill", "selector": "#amount", "value": "{{field.amount}}"},
    {"do": "select", "selector": "#currency", "value": "{{field.currency}}"},
    {"do": "click", "selector": "#save"},
    {"do": "wait_for", "selector": "#order-number"},
    {"do": "extract", "selector": "#order-number", "field": "supplier_order_number"},
    {"do": "screenshot", "name": "order entered"},
]
GUARD = {
    "script": [
        *LOGIN,
        {"do": "fill", "selector": "#search", "value": "{{field.po_number}}"},
        {"do": "click", "selector": "#search-go"},
        {"do": "wait_for", "selector": "#results"},
    ],
    "found": "td.po-number",
    "extract": {"supplier_order_number": "td.order-number"},
}
DATA = {"po_number": "PO-2026-7", "amount": "980.00", "currency": "GBP"}


@pytest.fixture
def portal(live_server):
    with override_settings(
        WMS_ENDPOINTS={"SUPPLIER_PORTAL": f"{live_server.url}/demo/supplier/portal"}, WMS_DEMO_SUPPLIER_SLOW_SECONDS=4
    ):
        yield


def run(*, script=SCRIPT, guard=None, timeout=5):
    stage = Stage.of(
        {
            "key": "enter_order",
            "type": "ui",
            "system": "Supplier portal",
            "timeout_seconds": timeout,
            "script": script,
            "guard": guard,
        }
    )
    built = ui_build(
        stage=stage,
        data=DATA,
        case_id=1,
        workflow="purchase-approval",
        version=1,
        idempotency_key="k",
        system="Supplier portal",
    )
    return ui_run(built)


def test_the_script_enters_the_order_and_the_guard_then_finds_it(portal):
    result = run(guard=GUARD)
    assert (result.outcome, result.guard_found) == ("succeeded", False), (result.message, result.log)
    order = SupplierOrder.objects.get()
    assert result.extracted == {"supplier_order_number": order.number}
    assert (order.po_number, str(order.amount), order.currency) == ("PO-2026-7", "980.00", "GBP")
    assert result.screenshots[-1].title.startswith("Order saved")
    again = run(guard=GUARD)
    assert (again.outcome, again.guard_found) == ("succeeded", True)
    assert again.extracted == {"supplier_order_number": order.number} and SupplierOrder.objects.count() == 1


def test_the_changed_layout_is_a_page_change(portal):
    SupplierPortalSettings.objects.create(pk=1, mode="changed")
    result = run()
    assert (result.outcome, result.category) == ("failed", ExceptionCategory.PAGE_CHANGED)
    assert "#po-number" in result.message and not SupplierOrder.objects.exists()


def test_a_wrong_password_is_a_refused_login(portal):
    # NOTE: the portal runs in this process and reads the same secret: the script types another password
    wrong = [*SCRIPT[:2], {**SCRIPT[2], "value": "not-the-password"}, *SCRIPT[3:]]
    result = run(script=wrong)
    assert (result.outcome, result.category) == ("failed", ExceptionCategory.LOGIN_REFUSED)
    assert result.title.startswith("Login failed") and not SupplierOrder.objects.exists()


def test_the_slow_portal_is_a_timeout_that_is_retried(portal):
    SupplierPortalSettings.objects.create(pk=1, mode="slow")
    result = run(timeout=1)
    assert (result.outcome, result.category) == ("retry", ExceptionCategory.TIMEOUT)
