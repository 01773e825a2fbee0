"""The browser harness itself: sign-in, the home page, static files and the API docs (no CDN)."""

import pytest

from apps.demo.management.commands.seed_demo import seed_demo_data
from tests.browser.conftest import expect, login, path_of, shot


@pytest.mark.django_db(transaction=True)
def test_sign_in_home_page_and_api_docs(page, live_server):
    seed_demo_data()

    page.goto("/")
    assert path_of(page).startswith("/accounts/login/"), "the portal is for signed-in staff only"
    login(page, live_server, "fiona", screenshot=True)

    page.goto("/")
    header = page.locator("header")
    expect(header).to_contain_text("fiona")
    expect(header).to_contain_text("finance")  # her role
    expect(header.get_by_role("button", name="Sign out")).to_be_visible()
    shot(page, "home")

    page.goto("/api/docs/")
    # Swagger UI renders from the sidecar's static files, then loads the schema from /api/schema/.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("WMS API")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    shot(page, "api-docs")
