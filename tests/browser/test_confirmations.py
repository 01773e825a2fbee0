"""Destructive actions ask first (issue 12): withdrawing a request shows a confirmation; saying
no leaves the case open, saying yes withdraws it."""

import pytest
from django.contrib.auth import get_user_model

from apps.cases.models import Case
from apps.cases.services import case_start
from apps.demo.management.commands.seed_demo import seed_demo_data
from tests.browser.conftest import answer_next_dialog, expect, shot


@pytest.mark.django_db(transaction=True)
def test_withdrawing_asks_first(new_page):
    seed_demo_data()
    alice = get_user_model().objects.get(username="alice")
    case, _ = case_start(
        workflow="purchase-approval", data={"amount": "500", "vendor": "ACME", "cost_center": "CC-1"}, actor=alice
    )
    page = new_page("alice")
    page.goto(f"/cases/{case.pk}/")
    questions = []
    page.on("dialog", lambda dialog: questions.append(dialog.message))

    answer_next_dialog(page, "dismiss")
    page.get_by_role("button", name="Withdraw request").click()
    expect(page.get_by_role("button", name="Withdraw request")).to_be_visible()
    assert Case.objects.get(pk=case.pk).is_open
    assert questions and f"Withdraw request #{case.pk}?" in questions[0]

    page.get_by_role("button", name="Withdraw request").click()  # accepted this time
    expect(page.locator(".messages")).to_contain_text("withdrawn")
    assert not Case.objects.get(pk=case.pk).is_open
    shot(page, "withdrawn")
