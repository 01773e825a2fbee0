"""The header in a browser (issue 12): an admin, who is offered every page, still gets one line at
1366 px; the pages visited now and then open from "More"; the tab shows the favicon."""

import re

import pytest
from django.db import transaction

from apps.demo.management.commands.seed_demo import seed_demo_data
from apps.notify.models import Kind
from apps.notify.services import notification_send
from tests.browser.conftest import expect, shot

LAPTOP = {"width": 1366, "height": 768}


@pytest.mark.django_db(transaction=True)
def test_the_admins_header_is_one_line_at_1366_px(new_page, django_user_model):
    seed_demo_data()
    admin = django_user_model.objects.get(username="admin")
    with transaction.atomic():  # an unread count of two digits widens the bell
        for n in range(12):
            notification_send(users=[admin], kind=Kind.REMINDER, subject=f"Note {n}", url="/", dedupe_key=f"note-{n}")
    page = new_page("admin")
    page.set_viewport_size(LAPTOP)
    page.goto("/")
    header, brand = page.locator("header.top"), page.locator("header.top .brand")
    nav, sign_out = header.locator("nav"), header.get_by_role("button", name="Sign out")
    expect(header.locator("a.bell .count")).to_have_text("12")
    one_line = brand.bounding_box()["height"] + 24
    assert header.bounding_box()["height"] <= one_line + 20, "the header wrapped onto a second line"
    nav_box, out_box = nav.bounding_box(), sign_out.bounding_box()
    assert nav_box["height"] <= one_line and abs(nav_box["y"] - out_box["y"]) < 15  # nav and sign-out side by side
    assert out_box["x"] + out_box["width"] <= LAPTOP["width"]
    shot(page, "admin-header")

    # The pages behind "More" are a click away, and the menu closes again on a click elsewhere.
    more = nav.locator("details.menu")
    expect(more.get_by_role("link", name="Calendars")).to_be_hidden()
    more.locator("summary").click()
    for name in ("Out of office", "Calendars", "Webhooks", "Admin", "API"):
        expect(more.get_by_role("link", name=name, exact=True)).to_be_visible()
    shot(page, "more-open")
    page.locator("h1").click()
    expect(more.get_by_role("link", name="Calendars")).to_be_hidden()
    more.locator("summary").click()
    more.get_by_role("link", name="Calendars").click()
    expect(page).to_have_url(re.compile(r"/calendars/$"))

    # The favicon the page links is served (the harness fails the test on a 4xx for it).
    icon = page.locator('link[rel="icon"]').get_attribute("href")
    assert page.request.get(icon).headers["content-type"].startswith("image/svg+xml")
