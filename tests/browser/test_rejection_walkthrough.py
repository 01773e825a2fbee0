"""A purchase of 2,500 rejected by the manager: the reason is required, the requester reads it on
her case page, and the parallel finance approval disappears from the finance queue."""

import re

import pytest

from apps.demo.management.commands.seed_demo import seed_demo_data
from tests.browser.conftest import CASE_URL, expect, row_of, shot, summary, timeline_row

REASON = "Two quotes are needed above 2,000."


@pytest.mark.django_db(transaction=True)
def test_manager_rejects_with_a_reason_and_the_finance_task_is_withdrawn(new_page):
    seed_demo_data()

    alice = new_page("alice")
    alice.goto("/requests/new/purchase-approval/")
    alice.locator('[name="amount"]').fill("2500")
    alice.locator('[name="vendor"]').fill("Chairs & Co")
    alice.locator('[name="cost_center"]').fill("CC-200")
    alice.get_by_role("button", name="Submit request").click()
    expect(alice).to_have_url(CASE_URL)
    case_id = CASE_URL.search(alice.url).group(1)
    expect(alice.locator("h1")).to_contain_text("Waiting for approval")
    expect(summary(alice, "Now with")).to_contain_text("Manager approval (bob, due ")
    expect(summary(alice, "Now with")).to_contain_text("Finance approval (finance queue, due ")
    shot(alice, "alice-case-open")

    fiona = new_page("fiona")
    fiona.goto("/inbox/?tab=queue")
    expect(row_of(fiona, case_id)).to_contain_text("Finance approval")
    shot(fiona, "fiona-queue-before")

    bob = new_page("bob")
    bob.goto("/inbox/?tab=assigned")
    row_of(bob, case_id).get_by_role("link", name="Manager approval").click()
    task_url = bob.url
    shot(bob, "bob-manager-approval")

    # Rejecting without a reason keeps the form and says what is missing, next to the reason.
    bob.get_by_label("Comment").fill("Please get a second quote.")
    bob.get_by_role("button", name="Reject").click()
    reason_field = bob.locator(".field", has=bob.locator('textarea[name="reason"]'))
    expect(reason_field.locator(".error")).to_contain_text("A reason is required")
    expect(reason_field).to_have_class(re.compile(r"\binvalid\b"))
    expect(bob.get_by_role("button", name="Reject")).to_be_visible()
    expect(bob.locator('textarea[name="comment"]')).to_have_value("Please get a second quote.")
    shot(bob, "bob-reject-without-reason")

    bob.locator('select[name="reason_code"]').select_option(label="Over budget")
    bob.locator('textarea[name="reason"]').fill(REASON)
    bob.get_by_role("button", name="Reject").click()
    expect(bob.locator(".messages")).to_contain_text(f"Manager approval on request #{case_id} rejected")
    assert bob.url != task_url
    shot(bob, "bob-after-reject")

    # alice reads the outcome and bob's reason.
    alice.reload()
    expect(alice.locator("h1")).to_contain_text("Rejected")
    expect(summary(alice, "Outcome")).to_contain_text("Rejected")
    expect(summary(alice, "Outcome")).to_contain_text(REASON)
    expect(summary(alice, "Now with")).to_have_text("nobody")
    expect(timeline_row(alice, "bob", "Decision recorded: Reject", REASON)).to_have_count(1)
    expect(timeline_row(alice, "Task cancelled", "Finance approval")).to_have_count(1)
    expect(alice.get_by_role("button", name="Withdraw request")).to_have_count(0)
    shot(alice, "alice-case-rejected")

    # The finance approval is gone from fiona's queue.
    fiona.reload()
    expect(row_of(fiona, case_id)).to_have_count(0)
    shot(fiona, "fiona-queue-after")
