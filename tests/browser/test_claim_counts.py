"""Claiming from the queue tab updates the tab counts in place (issue 12: they stayed stale)."""

import pytest
from django.contrib.auth import get_user_model

from apps.cases.services import case_start
from apps.demo.management.commands.seed_demo import seed_demo_data
from tests.browser.conftest import expect, shot
from tests.conftest import task_for


@pytest.mark.django_db(transaction=True)
def test_claim_and_release_in_the_queue_update_the_tab_counts(new_page):
    seed_demo_data()
    alice = get_user_model().objects.get(username="alice")
    tasks = []
    for amount in ("5000", "6000"):
        case, _ = case_start(
            workflow="purchase-approval", data={"amount": amount, "vendor": "ACME", "cost_center": "CC-1"}, actor=alice
        )
        tasks.append(task_for(case, "Finance approval"))

    fiona = new_page("fiona")
    fiona.goto("/inbox/?tab=queue")
    assigned, queue = fiona.locator("#tab-count-assigned"), fiona.locator("#tab-count-queue")
    expect(assigned).to_have_text("0")
    expect(queue).to_have_text("2")

    row = fiona.locator(f"#task-{tasks[0].pk}")
    row.get_by_role("button", name="Claim").click()
    expect(row).to_contain_text("yours")
    expect(assigned).to_have_text("1")
    expect(queue).to_have_text("1")
    assert fiona.url.endswith("/inbox/?tab=queue"), "claimed in place, no page load"
    shot(fiona, "claimed")

    row.get_by_role("button", name="Release").click()
    expect(row.get_by_role("button", name="Claim")).to_be_visible()
    expect(assigned).to_have_text("0")
    expect(queue).to_have_text("2")
    shot(fiona, "released")
