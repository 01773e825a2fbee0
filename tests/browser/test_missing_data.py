"""Missing data in a browser (issue 12): the start form and the resubmission form say what is
missing at the field, and nothing is created or sent back until it is there (or the requester
chooses to submit without it)."""

import re

import pytest

from apps.cases.models import Case
from apps.demo.management.commands.seed_demo import seed_demo_data
from tests.browser.conftest import CASE_URL, expect, path_of, shot
from tests.conftest import open_tasks


@pytest.mark.django_db(transaction=True)
def test_missing_cost_center_is_named_at_the_field_on_start_and_on_resubmission(new_page):
    seed_demo_data()
    alice = new_page("alice")
    alice.goto("/requests/new/purchase-approval/")
    alice.locator('[name="amount"]').fill("5000")
    alice.locator('[name="vendor"]').fill("")
    alice.locator('[name="description"]').fill("Two build servers")
    alice.get_by_role("button", name="Submit request").click()

    # Every field error at once: the vendor (required at intake); no "submit without it" offer
    # while the data itself is wrong.
    expect(alice.locator(".field.invalid")).to_have_count(1)
    expect(alice.locator(".field.invalid")).to_contain_text("Vendor")
    expect(alice.locator(".incomplete")).to_have_count(0)

    alice.locator('[name="vendor"]').fill("ACME Ltd")
    alice.get_by_role("button", name="Submit request").click()
    invalid = alice.locator(".field.invalid")
    expect(invalid).to_have_count(1)
    expect(invalid.locator("label")).to_contain_text("Cost center")
    expect(invalid).to_contain_text("Required before Approval.")
    expect(alice.locator(".messages .success")).to_have_count(0)
    shot(alice, "start-missing-cost-center")
    assert path_of(alice) == "/requests/new/purchase-approval/"
    assert not Case.objects.exists(), "nothing starts while data the first stage needs is missing"

    # She submits anyway, then tries to resubmit still without it: refused at the field, same task.
    alice.get_by_role("button", name="Submit without it").click()
    expect(alice).to_have_url(CASE_URL)
    expect(alice.locator(".messages")).to_contain_text("back with you to complete")
    case = Case.objects.get()
    alice.get_by_role("link", name="Rework: complete the request").first.click()
    task_url = alice.url
    alice.get_by_role("button", name="Resubmit").click()
    expect(alice.locator(".field.invalid")).to_contain_text("Required before Approval.")
    expect(alice.locator(".messages .success")).to_have_count(0)
    shot(alice, "resubmit-missing-cost-center")
    case.refresh_from_db()
    assert case.state == "rework"
    assert [t.data["label"] for t in open_tasks(case)] == ["Rework: complete the request"], "no second task"
    assert re.sub(r"decide/$", "", alice.url) == task_url

    alice.locator('[name="cost_center"]').fill("CC-4711")
    alice.get_by_role("button", name="Resubmit").click()
    expect(alice.locator(".messages")).to_contain_text(f"on request #{case.pk} resubmitted")
    case.refresh_from_db()
    assert case.state == "approval" and case.data["cost_center"] == "CC-4711"
