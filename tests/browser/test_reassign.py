"""Reassigning a task by hand in a browser (issue 12): an operator told to route a task opens it,
is refused a person the segregation-of-duties rule excludes, moves it to carol with a reason, and
carol finds it in her inbox with a notification."""

import pytest
from django.contrib.auth import get_user_model

from apps.cases.services import case_start
from apps.demo.management.commands.seed_demo import seed_demo_data
from tests.browser.conftest import expect, shot
from tests.conftest import task_for


@pytest.mark.django_db(transaction=True)
def test_an_operator_reassigns_a_task_from_its_page(new_page):
    seed_demo_data()
    alice = get_user_model().objects.get(username="alice")
    case, _ = case_start(
        workflow="purchase-approval", data={"amount": "5000", "vendor": "ACME", "cost_center": "CC-1"}, actor=alice
    )
    task = task_for(case, "Manager approval")

    oscar = new_page("oscar")
    oscar.goto(f"/tasks/{task.pk}/")
    card = oscar.locator("#reassign")
    expect(card).to_contain_text("Held by bob")
    card.get_by_label("Give it to").fill("alice")
    card.get_by_label("Why").fill("Bob is on leave.")
    card.get_by_role("button", name="Reassign").click()
    expect(oscar.locator("#reassign .error")).to_contain_text("requested this case")
    shot(oscar, "refused")

    card = oscar.locator("#reassign")
    card.get_by_label("Give it to").fill("carol")
    card.get_by_label("Why").fill("Bob is on leave until Monday.")
    card.get_by_role("button", name="Reassign").click()
    expect(oscar.locator(".messages")).to_contain_text("moved to carol")
    shot(oscar, "moved")

    carol = new_page("carol")
    carol.goto("/inbox/")
    expect(carol.locator("main")).to_contain_text("Manager approval")
    expect(carol.locator("header a.bell .count")).to_have_text("1")
    shot(carol, "inbox")
