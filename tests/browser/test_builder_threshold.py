"""The builder's demo in the browser: olivia lowers the finance threshold of purchase-approval from
1,000 to 500, sees which open and closed cases the change would send to finance, and publishes
version 2; a new 700 request then goes to finance while an open one from version 1 keeps its route."""

import re

import pytest

from apps.cases.services import task_complete
from apps.demo.management.commands.seed_demo import seed_demo_data
from tests.browser.conftest import CASE_URL, expect, shot
from tests.conftest import open_tasks, reload, task_for

FINANCE_RULE = '[data-target="approver:approval:finance"]'


def _start(users, amount):
    from apps.cases.services import case_start

    case, _ = case_start(
        workflow="purchase-approval",
        data={"amount": amount, "vendor": "ACME Ltd", "cost_center": "CC-1"},
        actor=users["alice"],
    )
    return case


@pytest.mark.django_db(transaction=True)
def test_olivia_lowers_the_finance_threshold_and_publishes_version_2(new_page, django_user_model):
    seed_demo_data()
    users = {u.username: u for u in django_user_model.objects.all()}
    open_700 = _start(users, "700")
    closed_700 = _start(users, "700")
    task_complete(task_id=task_for(closed_700, "Manager approval").pk, actor=users["bob"], decision="approve")
    big = _start(users, "5000")

    olivia = new_page("olivia")
    olivia.get_by_role("link", name="Workflows").click()
    expect(olivia).to_have_url(re.compile(r"/builder/$"))
    shot(olivia, "workflows")
    olivia.get_by_role("link", name="Purchase approval").click()
    expect(olivia.locator("h1")).to_contain_text("live: v1")
    shot(olivia, "definition")
    olivia.get_by_role("button", name="New draft from version 1").first.click()
    expect(olivia).to_have_url(re.compile(r"/builder/purchase-approval/draft/$"))
    expect(olivia.locator(".messages")).to_contain_text("A new draft from version 1 is ready to edit.")
    shot(olivia, "draft")

    # Edit the finance rule in place; a value that is not a number is refused at the field.
    rule = olivia.locator(FINANCE_RULE)
    expect(rule.locator("tbody tr").first.locator("td").nth(2)).to_have_text("1,000")  # as numbers read everywhere
    rule.get_by_role("link", name="Edit").click()
    value = rule.locator('input[name="value"]')
    value.fill("lots")
    rule.get_by_role("button", name="Save").click()
    expect(rule.locator(".field.invalid .error")).to_contain_text("'lots' does not fit amount (decimal)")
    shot(olivia, "rule-refused")
    rule.locator('input[name="value"]').fill("500")
    rule.get_by_role("button", name="Save").click()
    expect(olivia.locator("#flash")).to_have_text("Saved.")
    expect(olivia.locator(FINANCE_RULE).locator("tbody tr").first.locator("td").nth(2)).to_have_text("500")
    expect(olivia.locator("#problems")).to_contain_text("Ready to publish")
    shot(olivia, "rule-saved")

    # The impact preview lists the open and the closed 700 requests, not the 5,000 one.
    olivia.locator("#problems").get_by_role("link", name="Impact preview").click()
    expect(olivia.locator("#impact")).to_contain_text("2 would route differently")
    table = olivia.locator("table.impact")
    for case, status in ((open_700, "open"), (closed_700, "closed")):
        row = table.locator("tr", has=olivia.get_by_role("link", name=f"#{case.pk}", exact=True))
        expect(row).to_contain_text(status)
        expect(row).to_contain_text("would now need Finance approval")
    expect(table.get_by_role("link", name=f"#{big.pk}", exact=True)).to_have_count(0)
    shot(olivia, "impact-preview")

    olivia.get_by_role("link", name="Back to the draft").click()
    olivia.locator("#publish-note").fill("Finance approves purchases from 500")
    olivia.get_by_role("button", name="Publish as version 2").click()
    expect(olivia).to_have_url(re.compile(r"/builder/purchase-approval/versions/2/$"))
    expect(olivia.locator(".messages")).to_contain_text("Version 2 of Purchase approval is live")
    expect(olivia.locator("svg.diagram")).to_contain_text("Amount >= 500")
    shot(olivia, "version-2")

    # alice's new 700 request goes to finance; the open one from version 1 keeps its route.
    alice = new_page("alice")
    alice.goto("/requests/new/purchase-approval/")
    alice.locator('[name="amount"]').fill("700")
    alice.locator('[name="vendor"]').fill("ACME Ltd")
    alice.locator('[name="cost_center"]').fill("CC-1")
    alice.get_by_role("button", name="Submit request").click()
    expect(alice).to_have_url(CASE_URL)
    expect(alice.locator("main")).to_contain_text("Finance approval")
    shot(alice, "new-700-request")
    kept = reload(open_700)
    assert kept.version_number == 1 and [t.data["label"] for t in open_tasks(kept)] == ["Manager approval"]
    alice.goto(f"/cases/{open_700.pk}/")
    expect(alice.locator("main")).to_contain_text("version 1")
    shot(alice, "open-request-keeps-version-1")
