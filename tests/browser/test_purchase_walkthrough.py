"""A purchase of 5,000 through the portal, one person after the other, as they would click through it.

alice has no cost center yet: the form says so, she submits anyway and gets the request back; bob (her manager) and fiona (finance,
through her role's queue) approve; audrey the auditor finds the closed case and reads its timeline.
"""

import re

import pytest

from apps.demo.management.commands.seed_demo import seed_demo_data
from tests.browser.conftest import CASE_URL, expect, path_of, row_of, shot, summary, timeline_row


@pytest.mark.django_db(transaction=True)
def test_purchase_returned_for_cost_center_then_approved_by_manager_and_finance(new_page):
    seed_demo_data()

    # alice starts a request of 5,000 and forgets the cost center.
    alice = new_page("alice")
    shot(alice, "alice-home")
    alice.get_by_role("link", name="Start a request").click()
    expect(alice).to_have_url(re.compile(r"/requests/new/$"))
    shot(alice, "alice-workflows")
    alice.locator("section", has_text="Purchase approval").get_by_role("link", name="Start").click()
    expect(alice).to_have_url(re.compile(r"/requests/new/purchase-approval/$"))
    alice.locator('[name="amount"]').fill("5000")
    alice.locator('[name="vendor"]').fill("ACME Ltd")
    expect(alice.locator('select[name="vendor_risk"]')).to_have_value("low")
    alice.locator('[name="description"]').fill("Two build servers")
    expect(alice.locator('input[type="file"][name="attachments"]')).to_be_attached()
    shot(alice, "alice-request-form")
    alice.get_by_role("button", name="Submit request").click()

    # The form says what is missing, at the field; she has no cost center yet and submits anyway.
    expect(alice.locator(".incomplete")).to_contain_text("Cost center required before Approval.")
    expect(alice.locator(".field.invalid")).to_contain_text("Required before Approval.")
    expect(alice.locator('[name="description"]')).to_have_value("Two build servers")
    shot(alice, "alice-request-incomplete")
    alice.get_by_role("button", name="Submit without it").click()

    expect(alice).to_have_url(CASE_URL)
    case_id = CASE_URL.search(alice.url).group(1)
    expect(alice.locator(".messages")).to_contain_text(f"Request #{case_id} submitted and back with you")
    expect(alice.locator("h1")).to_contain_text("Returned to requester")
    expect(alice.locator("main")).to_contain_text("Cost center required before Approval")
    shot(alice, "alice-case-returned")

    # Her rework task waits in "Assigned to me", naming the missing field.
    alice.get_by_role("link", name="Inbox", exact=True).click()
    alice.get_by_role("link", name=re.compile(r"^Assigned to me")).click()
    expect(alice).to_have_url(re.compile(r"/inbox/\?tab=assigned$"))
    shot(alice, "alice-inbox")
    row_of(alice, case_id).get_by_role("link", name="Rework: complete the request").click()
    expect(alice.locator(".notice")).to_contain_text("Cost center required before Approval")
    missing = alice.locator(".field.missing")
    expect(missing).to_have_count(1)
    expect(missing.locator("label")).to_contain_text("Cost center")
    expect(alice.locator('[name="amount"]')).to_have_value(re.compile(r"^5000(\.00)?$"))  # kept from intake
    shot(alice, "alice-rework-task")
    missing.locator('[name="cost_center"]').fill("CC-4711")
    alice.get_by_role("button", name="Resubmit").click()
    expect(alice.locator(".messages")).to_contain_text(f"on request #{case_id} resubmitted")
    shot(alice, "alice-after-resubmit")

    # bob, her manager, approves from his inbox.
    bob = new_page("bob")
    shot(bob, "bob-home")
    bob.goto("/inbox/")
    shot(bob, "bob-inbox")
    row_of(bob, case_id).get_by_role("link", name="Manager approval").click()
    expect(bob.locator("dl.data")).to_contain_text("5,000")
    expect(bob.locator("dl.data")).to_contain_text("CC-4711")
    expect(bob.locator(".route")).to_contain_text("Finance approval: Amount 5,000 >= 1,000")
    parallel = bob.locator("section", has=bob.get_by_role("heading", name="Parallel approvals"))
    expect(parallel).to_contain_text("Finance approval")
    expect(parallel).to_contain_text("finance queue")
    shot(bob, "bob-manager-approval")
    bob.get_by_role("button", name="Approve").click()
    expect(bob.locator(".messages")).to_contain_text(f"Manager approval on request #{case_id} approved")
    shot(bob, "bob-after-approve")

    # fiona claims the finance approval from her role's queue (htmx: the row changes, the page stays).
    fiona = new_page("fiona")
    shot(fiona, "fiona-home")
    fiona.goto("/inbox/")
    fiona.get_by_role("link", name=re.compile(r"^My roles' queue")).click()
    expect(fiona).to_have_url(re.compile(r"/inbox/\?tab=queue$"))
    row = row_of(fiona, case_id)
    expect(row).to_contain_text("Finance approval")
    shot(fiona, "fiona-queue")
    fiona.evaluate("window.__sameDocument = true")
    navigations = []
    fiona.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == fiona.main_frame else None)
    queue_url = fiona.url
    row.get_by_role("button", name="Claim").click()
    expect(row.get_by_role("button", name="Release")).to_be_visible()
    expect(row).to_contain_text("yours")
    expect(row.get_by_role("button", name="Claim")).to_have_count(0)
    assert fiona.evaluate("window.__sameDocument === true"), "claiming reloaded the page"
    assert navigations == [] and fiona.url == queue_url, f"claiming navigated: {navigations}"
    shot(fiona, "fiona-claimed")
    row.get_by_role("link", name="Finance approval").click()
    expect(fiona.locator("h1")).to_contain_text("Finance approval")
    expect(fiona.locator("main")).to_contain_text("owner: fiona")
    shot(fiona, "fiona-finance-approval")
    fiona.get_by_role("button", name="Approve").click()
    expect(fiona.locator(".messages")).to_contain_text(f"Finance approval on request #{case_id} approved")
    shot(fiona, "fiona-after-approve")

    # audrey, the auditor, finds the closed case and reads who did what.
    audrey = new_page("audrey")
    shot(audrey, "audrey-home")
    audrey.get_by_role("link", name="Case search").click()
    expect(audrey).to_have_url(re.compile(r"/audit/cases/"))
    audrey.get_by_label("Workflow").select_option("purchase-approval")
    audrey.get_by_role("button", name="Search").click()
    expect(audrey).to_have_url(re.compile(r"workflow=purchase-approval"))
    result = row_of(audrey, case_id)
    expect(result).to_contain_text("alice")
    expect(result).to_contain_text("Approved")
    shot(audrey, "audrey-case-search")
    result.get_by_role("link", name=f"#{case_id}", exact=True).click()
    assert path_of(audrey) == f"/cases/{case_id}/"
    expect(summary(audrey, "Outcome")).to_have_text("Approved")
    expect(summary(audrey, "Status")).to_have_text("Closed")
    expect(timeline_row(audrey, "alice", "Case started")).to_have_count(1)
    expect(timeline_row(audrey, "alice", "Resubmitted")).to_have_count(1)
    expect(timeline_row(audrey, "bob", "Decision recorded: Approve", "Manager approval")).to_have_count(1)
    expect(timeline_row(audrey, "fiona", "Task claimed", "Finance approval")).to_have_count(1)
    expect(timeline_row(audrey, "fiona", "Decision recorded: Approve", "Finance approval")).to_have_count(1)
    shot(audrey, "audrey-case")
