"""An integrator sets up an inbound endpoint in the portal (issue 12): ivan creates one, copies its
secret from the one page that shows it, and rotates it after a confirmation; the sender's calls
signed with the old secret are refused from then on, with the new one accepted."""

import json
import re
import time

import pytest
from django.test import Client

from apps.demo.management.commands.seed_demo import seed_demo_data
from apps.integrations.services import webhook_sign
from tests.browser.conftest import answer_next_dialog, expect, path_of, shot


def _call(secret: str, delivery: str) -> int:
    """The sender's signed POST; its answer's status."""
    body = json.dumps({"order": {"total": "80.00", "supplier": "ACME Ltd", "cc": "CC-100"}}).encode()
    timestamp = int(time.time())
    answer = Client().post(
        "/api/v1/hooks/erp-orders/",
        data=body,
        content_type="application/json",
        HTTP_X_WMS_DELIVERY=delivery,
        HTTP_X_WMS_TIMESTAMP=str(timestamp),
        HTTP_X_WMS_SIGNATURE=webhook_sign(secret=secret, delivery=delivery, timestamp=timestamp, body=body),
    )
    return answer.status_code


@pytest.mark.django_db(transaction=True)
def test_ivan_creates_an_endpoint_and_rotates_its_secret(new_page):
    seed_demo_data()
    page = new_page("ivan")
    page.goto("/")
    page.locator("header details.menu summary").click()  # Webhooks sits under "More"
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_role("link", name="inbound", exact=True).click()
    page.get_by_role("link", name="New inbound endpoint").click()

    page.get_by_label("Name", exact=True).fill("ERP orders")
    page.get_by_label("Key", exact=True).fill("ERP orders")  # not a key: refused, naming the field
    page.get_by_label("Workflow").select_option("purchase-approval")
    page.get_by_label("Acts as (username)").fill("alice")
    page.get_by_label("Fields from the body").fill("amount=order.total\nvendor=order.supplier\ncost_center=order.cc")
    page.get_by_role("button", name="Create endpoint").click()
    expect(page.locator(".field.invalid")).to_contain_text("lowercase letters, digits")
    shot(page, "bad-key")

    page.get_by_label("Key", exact=True).fill("erp-orders")
    page.get_by_role("button", name="Create endpoint").click()
    expect(page.get_by_role("heading", name="Endpoint ERP orders created")).to_be_visible()
    assert re.fullmatch(r"/integrations/inbound/\d+/created/", path_of(page))
    expect(page.locator(".card")).to_contain_text("/api/v1/hooks/erp-orders/")
    secret = page.locator("code.secret").inner_text()
    assert secret.startswith("whsec_")
    shot(page, "created")

    page.reload()  # the secret was shown once; a reload creates nothing
    expect(page.locator("code.secret")).to_have_count(0)
    expect(page.locator(".card")).to_contain_text("shown once")
    assert _call(secret, "d-1") == 202

    page.get_by_role("link", name="Done").click()
    row = page.locator("tr", has_text="ERP orders")
    expect(row).to_have_count(1)
    expect(page.locator("body")).not_to_contain_text(secret)
    shot(page, "inbound-list")
    questions = []
    page.on("dialog", lambda dialog: questions.append(dialog.message))
    answer_next_dialog(page, "dismiss")
    row.get_by_role("button", name="Rotate secret").click()
    assert questions and questions[0].startswith("Rotate the secret of ERP orders?")
    assert path_of(page) == "/integrations/inbound/"
    assert _call(secret, "d-2") == 202  # dismissed: nothing changed

    row.get_by_role("button", name="Rotate secret").click()  # accepted this time
    expect(page.get_by_role("heading", name="New secret for ERP orders")).to_be_visible()
    rotated = page.locator("code.secret").inner_text()
    assert rotated.startswith("whsec_") and rotated != secret
    expect(page.locator(".card")).to_contain_text("The old secret no longer works")
    shot(page, "rotated")

    assert _call(secret, "d-3") == 401
    assert _call(rotated, "d-4") == 202
