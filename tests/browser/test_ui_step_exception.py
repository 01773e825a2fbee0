"""A UI step that failed because the supplier portal changed, as the operator sees it: the
category, the last screenshot, the page's URL and title, and the repair with a new version."""

import pytest
from django.conf import settings
from django.test import override_settings

from apps.automation.models import StepRun
from apps.cases.services import case_start, task_complete
from apps.demo.management.commands.seed_demo import seed_demo_data
from apps.demo.models import SupplierOrder, SupplierPortalMode
from apps.demo.supplier import supplier_mode_set
from tests.browser.conftest import expect, shot
from tests.conftest import open_tasks


@pytest.mark.django_db(transaction=True)
def test_the_operator_sees_the_changed_page_and_its_screenshot(new_page, live_server, ui_runner):
    seed_demo_data()
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.all()}
    supplier_mode_set(mode=SupplierPortalMode.CHANGED, actor=users["oscar"])
    endpoints = {**settings.WMS_ENDPOINTS, "ERP": live_server.url + "/demo/erp"}
    endpoints["SUPPLIER_PORTAL"] = live_server.url + "/demo/supplier/portal"
    with override_settings(WMS_ENDPOINTS=endpoints):
        case, _ = case_start(
            workflow="invoice-processing",
            data={
                "invoice_number": "INV-7001",
                "vendor": "ACME Ltd",
                "amount": "640.00",
                "po_number": "PO-2026-0107",
                "enter_in_supplier_portal": True,
            },
            actor=users["alice"],
        )
        (task,) = open_tasks(case)
        task_complete(task_id=task.pk, actor=users["fiona"], decision="approve")
    run = StepRun.objects.get(case=case, step_key="enter_order")
    assert run.category == "page_changed" and not SupplierOrder.objects.exists()

    page = new_page("oscar")
    page.goto(f"/exceptions/{run.pk}/")
    expect(page.locator("h1")).to_contain_text("Enter the order in the supplier portal")
    card = page.locator("#ui-page")
    expect(card).to_contain_text("Page changed")
    expect(card).to_contain_text("/demo/supplier/portal/orders/new/")
    expect(card).to_contain_text("New order")
    image = card.locator("figure.screenshot img")
    expect(image).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", image.element_handle()) > 0  # the screenshot itself loads
    expect(page.get_by_text("demo-supplier-password")).to_have_count(0)
    shot(page, "exception-ui-step")
