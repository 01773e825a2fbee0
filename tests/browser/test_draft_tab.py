"""The builder's Draft tab of a published workflow in a browser (issue 12): no 404, a button that
starts a draft from the live version and opens the editor."""

import pytest

from apps.demo.management.commands.seed_demo import seed_demo_data
from tests.browser.conftest import expect, path_of, shot


@pytest.mark.django_db(transaction=True)
def test_the_draft_tab_starts_a_draft_from_the_live_version(new_page):
    seed_demo_data()
    page = new_page("olivia")
    page.goto("/builder/purchase-approval/")
    page.locator("nav.subnav").get_by_role("link", name="Draft").click()
    expect(page.locator("h1")).to_contain_text("no draft")
    shot(page, "no-draft")

    page.get_by_role("button", name="Start a draft from version 1").click()
    page.wait_for_url("**/builder/purchase-approval/draft/")
    assert path_of(page) == "/builder/purchase-approval/draft/"
    expect(page.locator("h1")).to_contain_text("draft")
    expect(page.locator(".messages")).to_contain_text("1")
    shot(page, "editor")
