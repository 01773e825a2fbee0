"""A builder test case in a browser (issue 12): olivia starts one on a draft from the rule tester
as if alice asked; it is marked TEST and "draft" everywhere she looks, she decides each approval
as the person it would have gone to, and alice and bob never see it."""

import re

import pytest

from apps.cases.models import Case
from apps.demo.management.commands.seed_demo import seed_demo_data
from apps.notify.models import Notification
from tests.browser.conftest import CASE_URL, expect, row_of, shot


@pytest.mark.django_db(transaction=True)
def test_a_test_case_stays_in_the_owners_sandbox(new_page):
    seed_demo_data()
    olivia = new_page("olivia")
    olivia.goto("/builder/purchase-approval/draft/")
    olivia.get_by_role("button", name="Start a draft from version 1").click()
    olivia.wait_for_url("**/builder/purchase-approval/draft/")
    olivia.goto("/builder/purchase-approval/tester/")
    olivia.locator("#t-requester").select_option("alice")
    olivia.locator("#t-amount").fill("5000")
    olivia.locator("#t-vendor").fill("ACME Ltd")
    olivia.locator("#t-cost_center").fill("CC-1")
    olivia.get_by_role("button", name="Start a test case on the draft").click()

    expect(olivia).to_have_url(CASE_URL)
    case = Case.objects.get(is_test=True)
    expect(olivia.locator("h1 .badge", has_text="TEST")).to_be_visible()
    expect(olivia.locator("main")).to_contain_text("draft (a test case)")
    expect(olivia.locator("main")).to_contain_text("a test started by olivia, routed as if alice asked")
    shot(olivia, "test-case")

    # Her inbox holds both approvals, marked TEST; she decides each as the approver would.
    olivia.goto("/inbox/")
    row = row_of(olivia, case.pk)
    expect(row.first).to_contain_text("TEST")
    for label in ["Manager approval", "Finance approval"]:
        olivia.goto("/inbox/")
        row_of(olivia, case.pk).get_by_role("link", name=label).click()
        expect(olivia.locator(".notice").first).to_contain_text("A test case: you hold every task of it.")
        olivia.get_by_role("button", name="Approve").click()
        expect(olivia.locator(".messages")).to_contain_text(f"{label} on request #{case.pk} approved")
    case.refresh_from_db()
    assert case.outcome == "approved"

    # alice and bob see nothing of it, and nobody was told.
    alice = new_page("alice")
    alice.goto("/requests/")
    expect(row_of(alice, case.pk)).to_have_count(0)
    expect(alice.get_by_role("link", name=re.compile(rf"#{case.pk}\b"))).to_have_count(0)
    bob = new_page("bob")
    bob.goto("/inbox/?tab=done")
    expect(row_of(bob, case.pk)).to_have_count(0)
    bob.goto(f"/cases/{case.pk}/")
    expect(bob.locator("h1")).to_contain_text("Not allowed")
    assert not Notification.objects.filter(case_id=case.pk).exists()
