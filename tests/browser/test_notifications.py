"""Notifications in a browser: the header bell, mark read without a reload, open marks read."""

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from apps.demo.management.commands.seed_demo import seed_demo_data
from apps.notify.services import notification_send
from tests.browser.conftest import expect, path_of, shot


@pytest.mark.django_db(transaction=True)
def test_bell_mark_read_and_open(new_page):
    seed_demo_data()
    bob = get_user_model().objects.get(username="bob")
    for key, subject, url in [("a", "Reminder: manager approval", "/inbox/"), ("b", "Escalated to you", "/requests/")]:
        with transaction.atomic():
            notification_send(users=[bob], kind="reminder", subject=subject, url=url, dedupe_key=key)

    page = new_page("bob")
    bell = page.locator("header a.bell")
    expect(bell.locator(".count")).to_have_text("2")
    bell.click()
    expect(page.locator("h1")).to_have_text("Notifications")
    shot(page, "list")

    row = page.locator("tr.notification", has_text="Reminder: manager approval")
    row.get_by_role("button", name="Mark read").click()
    expect(page.locator("tr.notification.read", has_text="Reminder: manager approval")).to_contain_text("read")
    expect(bell.locator(".count")).to_have_text("1")  # swapped out of band, no reload
    shot(page, "one-read")

    page.get_by_role("link", name="Escalated to you").click()
    page.wait_for_url("**/requests/")
    assert path_of(page) == "/requests/"
    expect(bell.locator(".count")).to_have_count(0)
