"""The demo supplier portal in a browser, the way a `ui` step sees it: its own login, the order
form, the order number, the search that finds the PO; its "changed" layout; and the console."""

import pytest
from django.conf import settings

from apps.demo.management.commands.seed_demo import seed_demo_data
from apps.demo.models import SupplierOrder, SupplierPortalSettings
from tests.browser.conftest import expect, shot


@pytest.mark.django_db(transaction=True)
def test_a_buyer_enters_an_order_and_finds_it_and_the_operator_sees_it(new_page):
    seed_demo_data()
    page = new_page()
    page.goto("/demo/supplier/portal/")
    assert page.url.endswith("/demo/supplier/portal/login/")  # its own login, not the WMS's
    page.fill("#username", "buyer")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Login failed")
    page.fill("#username", settings.WMS_SECRETS["SUPPLIER_PORTAL_USER"])
    page.fill("#password", settings.WMS_SECRETS["SUPPLIER_PORTAL_PASSWORD"])
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Orders")

    page.goto("/demo/supplier/portal/orders/new/")
    page.fill("#po-number", "PO-2026-0042")
    page.fill("#amount", "1250.00")
    page.select_option("#currency", "GBP")
    page.fill("#note", "Entered by the WMS")
    shot(page, "supplier-portal-order-form")
    page.click("#save")
    expect(page.locator("h1")).to_have_text("Order saved")
    order = SupplierOrder.objects.get()
    expect(page.locator("#order-number")).to_have_text(order.number)
    assert order.currency == "GBP"

    page.goto("/demo/supplier/portal/")
    page.fill("#search", "PO-2026-0042")
    page.click("#search-go")
    expect(page.locator("#results td.po-number")).to_have_text(["PO-2026-0042"])
    shot(page, "supplier-portal-search")

    SupplierPortalSettings.objects.create(pk=1, mode="changed")
    page.goto("/demo/supplier/portal/orders/new/")
    expect(page.locator("#purchase-order")).to_be_visible()
    expect(page.locator("#po-number")).to_have_count(0)

    operator = new_page("oscar")
    operator.goto("/demo/supplier/")
    expect(operator.locator("h1")).to_contain_text("Demo supplier portal")
    expect(operator.get_by_role("cell", name="PO-2026-0042")).to_be_visible()
    shot(operator, "demo-supplier")

    operator.get_by_role("button", name="Clear orders").click()  # asks first; the test means it
    expect(operator.get_by_text("No orders entered yet.")).to_be_visible()
    assert not SupplierOrder.objects.exists()
