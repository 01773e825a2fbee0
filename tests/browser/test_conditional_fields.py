"""Conditional fields in a browser: the HR request's start form asks what the chosen request type
needs; changing the type swaps the fields in place (htmx), keeping what was typed."""

import pytest

from apps.cases.models import Case
from apps.demo.management.commands.seed_demo import seed_demo_data
from tests.browser.conftest import CASE_URL, expect, shot


@pytest.mark.django_db(transaction=True)
def test_the_request_type_decides_which_fields_the_form_asks(new_page):
    seed_demo_data()
    alice = new_page("alice")
    alice.goto("/requests/new/hr-request/")
    expect(alice.locator('[name="leave_start"]')).to_have_count(1)
    expect(alice.locator('[name="pay_period"]')).to_have_count(0)
    alice.locator('[name="details"]').fill("Since October")

    alice.locator('[name="request_type"]').select_option("payroll")
    expect(alice.locator('[name="pay_period"]')).to_have_count(1)
    expect(alice.locator('[name="leave_start"]')).to_have_count(0)
    expect(alice.locator('[name="details"]')).to_have_value("Since October")
    shot(alice, "hr-request-payroll-fields")
    assert not Case.objects.exists(), "changing the type starts nothing"

    alice.locator('[name="pay_period"]').fill("2026-11")
    alice.locator('[name="pay_issue"]').select_option("tax")
    alice.get_by_role("button", name="Submit request").click()
    expect(alice).to_have_url(CASE_URL)
    expect(alice.locator(".case-sla")).to_contain_text("on time")
    case = Case.objects.get()
    assert case.data == {
        "request_type": "payroll",
        "pay_period": "2026-11",
        "pay_issue": "tax",
        "details": "Since October",
    }
