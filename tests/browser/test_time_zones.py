"""A person picks their time zone from the header and every time on their pages follows, labelled."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model

from apps.demo.management.commands.seed_demo import seed_demo_data
from apps.org.services import absence_set
from tests.browser.conftest import expect, shot

STARTS = datetime(2026, 12, 3, 12, 5, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_choosing_a_time_zone_moves_every_time_on_the_page(new_page):
    seed_demo_data()
    people = {u.username: u for u in get_user_model().objects.filter(username__in=["bob", "carol"])}
    absence_set(
        user=people["bob"],
        starts=STARTS,
        ends=STARTS + timedelta(days=2),
        delegate=people["carol"],
        actor=people["bob"],
    )
    page = new_page("bob")
    page.goto("/away/")
    absences = page.locator("table")
    expect(absences).to_contain_text("3 Dec 2026 13:05 CET")  # the demo people work in Berlin
    shot(page, "away-in-berlin")

    page.locator("header a.user").click()
    expect(page.get_by_role("heading", name="Your settings")).to_be_visible()
    page.get_by_label("Time zone").select_option("America/New_York")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("times are shown in America/New_York")
    expect(page.locator("main .hint").last).to_contain_text("EST")  # "It is now ... EST"
    shot(page, "settings-saved")

    page.goto("/away/")
    expect(absences).to_contain_text("3 Dec 2026 07:05 EST")
