"""The bottleneck view in a browser, as olivia (the workflow's owner): her workflow's dashboard
loads it under the panels (htmx), its own page draws the workflow's diagram with every step
coloured and labelled without a Content-Security-Policy violation, a filter swaps it in place, and
a step of the diagram opens the cases that passed it."""

import re

import pytest

from tests.browser.conftest import expect, shot
from tests.metrics.bottleneck_history import KEY, bottlenecks  # noqa: F401 - the constructed history

from .test_csp import _violations, _watched


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("bottlenecks")
def test_olivia_finds_the_slow_step_and_its_cases(new_page):
    page = _watched(new_page("olivia"))
    page.goto(f"/dashboards/{KEY}/")
    embedded = page.locator("#panel-bottlenecks")
    expect(embedded.locator("svg.diagram")).to_be_visible()  # loaded after the panels
    embedded.get_by_role("link", name="Open on its own page").click()
    expect(page.locator("h1")).to_contain_text("Bottlenecks")

    diagram = page.locator("#panel-bottlenecks svg.diagram")
    expect(diagram).to_be_visible()
    assert diagram.bounding_box()["height"] > 200
    # The requester's rework (16 h) is the darkest step; the manager's approval (6 h) lighter.
    rework = diagram.locator('g[data-key="rework"]')
    expect(rework).to_contain_text("16.0 h / 16.0 h, 33 %")
    assert rework.locator("rect").first.get_attribute("fill") == "#8f1d10"
    expect(diagram.locator('g[data-key="review_manager"]')).to_contain_text("6.0 h / 9.2 h, 100 %")
    expect(diagram.locator("g.legend")).to_contain_text("12.8–16.0 h")
    assert _violations(page) == []
    shot(page, "bottlenecks")

    # Version 1 swaps in its own diagram (the customer's wait, the finance approver) in place.
    page.locator('select[name="version"]').select_option("1")
    expect(page).to_have_url(re.compile(r"/bottlenecks/\?version=1"))
    expect(diagram.locator('g[data-key="customer"]')).to_contain_text("4.0 h / 5.6 h, 100 %")
    expect(diagram.locator('g[data-key="review_finance"]')).to_contain_text("1.0 h / 1.0 h, 100 %")
    assert _violations(page) == []

    # A step of the diagram opens the cases that passed it: the finance approvals of P and Q.
    diagram.locator('g[data-key="review_finance"]').click()
    expect(page.locator("h1")).to_contain_text("the cases behind this number")
    expect(page.locator("table.drill-cases tbody tr")).to_have_count(2)
    shot(page, "cases-of-a-step")
