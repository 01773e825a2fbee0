"""The dashboards in a browser: olivia (a workflow owner) and oscar (an operator) open the one across
workflows and the one of the constructed history's workflow; every panel draws its chart (server SVG
styled by /dashboards/charts.css) without a single Content-Security-Policy violation, a filter
change swaps the panels in place (htmx), and a number opens the cases behind it."""

import re

import pytest

from tests.browser.conftest import expect, shot
from tests.metrics.conftest import KEY, history  # noqa: F401 - the constructed history, as a fixture

from .test_csp import _violations, _watched

PANELS = ("wip", "aging", "approvals", "exceptions", "cycle-time", "rework", "sla")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("history")
@pytest.mark.parametrize("username", ["olivia", "oscar"])
def test_each_dashboard_draws_its_charts_under_the_policy(new_page, username):
    page = _watched(new_page(username))
    page.goto("/")
    more = page.locator("header.top details.menu")
    more.locator("summary").click()
    more.get_by_role("link", name="Dashboards").click()
    expect(page.locator("h1")).to_contain_text("Dashboards")
    for url in ("/dashboards/", f"/dashboards/{KEY}/"):
        page.goto(url)
        for key in PANELS:
            chart = page.locator(f"#panel-{key} svg.pygal-chart")
            expect(chart).to_be_visible()
            assert chart.bounding_box()["height"] > 100
        # pygal's stylesheet reached the charts: a bar is filled with the palette's first colour, not black.
        fill = page.locator("#panel-cycle-time svg.pygal-chart .plot .background").first.evaluate(
            "node => getComputedStyle(node).fill"
        )
        assert fill == "rgb(255, 255, 255)"
        assert _violations(page) == []
        shot(page, f"{username}-{url.strip('/').replace('/', '-')}")

    # A date range swaps the panels in place; the closed cases of November are out of December's range.
    page.locator('input[name="from"]').fill("2026-12-01")
    page.locator('input[name="to"]').fill("2026-12-31")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(
        re.compile(r"/dashboards/metrics-flow/\?(version=&)?from=2026-12-01&to=2026-12-31(&team=&role=)?$")
    )
    expect(page.locator("#panel-cycle-time table.numbers").first.locator("td").first).to_have_text("0")
    assert _violations(page) == []

    # An end before the start is refused in place, naming the field; the filter stays as typed.
    page.locator('input[name="to"]').fill("2026-11-01")
    page.locator('input[name="to"]').dispatch_event("change")
    expect(page.locator("#panels .filter-errors")).to_contain_text("to: The end of the range (2026-11-01) is before")
    expect(page.locator('input[name="from"]')).to_have_value("2026-12-01")
    shot(page, f"{username}-refused-filter")

    # Every number opens the cases behind it: the case waiting for bob.
    page.goto(f"/dashboards/{KEY}/")
    page.locator("#panel-wip table.numbers a.drill").first.click()
    expect(page.locator("h1")).to_contain_text("the cases behind this number")
    expect(page.locator("table.drill-cases tbody tr")).to_have_count(1)
    shot(page, f"{username}-drill-down")
