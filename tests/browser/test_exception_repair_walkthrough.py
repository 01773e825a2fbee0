"""The live scenario's integration failure, clicked through: the ERP refuses an invoice, the case
lands in the exception queue, oscar switches the (demo) ERP back on, corrects the vendor and
retries, and the case goes on to finance with the ERP's reference."""

import re

import pytest
from django.test import override_settings

from apps.demo.management.commands.seed_demo import seed_demo_data
from tests.browser.conftest import CASE_URL, expect, shot, summary, timeline_row


@pytest.mark.django_db(transaction=True)
def test_an_erp_refusal_is_repaired_from_the_exception_queue(new_page, live_server):
    seed_demo_data()
    with override_settings(WMS_ENDPOINTS={"ERP": f"{live_server.url}/demo/erp"}):
        # oscar makes the demo ERP refuse new invoices.
        oscar = new_page("oscar")
        oscar.locator("details.menu summary").click()  # the demo pages wait behind "More"
        oscar.get_by_role("link", name="Demo ERP").click()
        oscar.get_by_role("button", name="Switch to reject").click()
        expect(oscar.locator("h1")).to_contain_text("reject")
        shot(oscar, "oscar-erp-reject")

        # alice submits an invoice; the ERP step fails at once (422: not worth retrying).
        alice = new_page("alice")
        alice.goto(f"{live_server.url}/requests/new/invoice-processing/")
        alice.locator('[name="invoice_number"]').fill("INV-77")
        alice.locator('[name="vendor"]').fill("Initech")
        alice.locator('[name="amount"]').fill("1200")
        alice.locator('[name="po_number"]').fill("PO-4711")
        alice.get_by_role("button", name="Submit request").click()
        expect(alice).to_have_url(CASE_URL)
        case_id = CASE_URL.search(alice.url).group(1)
        expect(alice.locator(".notice.bad, .notice").first).to_contain_text("Exception at Validate in ERP")
        expect(alice.locator("main")).to_contain_text("An operator has been told")
        shot(alice, "alice-case-exception")

        # oscar finds it in the queue under its category, and opens it.
        oscar.get_by_role("link", name="Exceptions").click()
        expect(oscar.locator("main")).to_contain_text("Rejected by target")
        shot(oscar, "oscar-queue")
        oscar.get_by_role("link", name="Validate in ERP").first.click()
        expect(oscar.locator("main")).to_contain_text("ERP answered 422: Vendor is blocked in the ERP.")
        expect(oscar.locator("main")).to_contain_text('"Authorization": "***"')
        shot(oscar, "oscar-exception")
        detail = oscar.url

        # The ERP is back; oscar corrects the vendor and retries.
        oscar.locator("details.menu summary").click()  # the demo pages wait behind "More"
        oscar.get_by_role("link", name="Demo ERP").click()
        oscar.get_by_role("button", name="Switch to ok").click()
        expect(oscar.locator("h1")).to_contain_text("ok")
        oscar.goto(detail)
        oscar.get_by_text("Edit data and retry").click()
        oscar.locator('#step-actions [name="vendor"]').fill("Globex")
        oscar.locator("#edit-note").fill("Vendor name as in the ERP")
        oscar.get_by_role("button", name="Save and retry").click()
        expect(oscar.locator("main")).to_contain_text("Succeeded")
        shot(oscar, "oscar-after-retry")

        # alice's case went on to finance, with the ERP's reference.
        alice.goto(f"{live_server.url}/cases/{case_id}/")
        expect(alice.locator("h1")).to_contain_text("Waiting for approval")
        expect(summary(alice, "Now with")).to_contain_text("Finance approval")
        expect(alice.locator("main")).to_contain_text(re.compile(r"ERP-\d{6}"))
        expect(timeline_row(alice, "Case data corrected", "oscar")).to_have_count(1)
        shot(alice, "alice-case-after-repair")
