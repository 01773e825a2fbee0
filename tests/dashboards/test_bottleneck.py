"""The bottleneck view's pages on the constructed history (tests/metrics/bottleneck_history.py): the
workflow's own diagram with the numbers painted on, the table with every number linked to the cases
that passed the step, the CSV, the refusals, and its cost."""

import csv
import io
import re

import pytest

from tests.metrics.bottleneck_history import KEY, bottlenecks

__all__ = ["bottlenecks"]

PAGE = f"/dashboards/{KEY}/bottlenecks/"


def cases_listed(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"<td>(?:<a [^>]*>)?#(\d+)", html)]


def test_the_diagram_carries_each_steps_numbers_and_links(bottlenecks, demo, client):
    client.force_login(demo["olivia"])
    response = client.get(PAGE)
    html = response.content.decode()
    assert response.status_code == 200
    svg = html[html.index('class="diagram"') :]
    svg = svg[: svg.index("</svg>")]
    # The newest version (2) is drawn: its one approver, with p50 / p90, share of the 3 closed cases.
    assert "Drawn on version 2" in html
    manager = svg[svg.index('data-key="review_manager"') :]
    assert "6.0 h / 9.2 h, 100 %" in manager[: manager.index("</g>")]
    assert 'data-key="review"' in svg and "Review (whole stage): 6.0 h / 9.2 h, 100 %" in svg  # the stage's frame
    assert "Requester reworks" in svg and "16.0 h / 16.0 h, 33 %" in svg
    # The darkest colour for the slowest p50 (rework, 16 h), a legend from 0 to 16 h.
    assert 'fill="#8f1d10"' in svg and "12.8–16.0 h" in svg
    assert "style=" not in svg and "<script" not in svg
    # Steps of version 1 only are in the table: the finance approver and the customer's wait.
    assert "review: finance (another version)" in html and "Customer answers (another version)" in html
    assert "Wall-clock hours" in html


def test_a_version_draws_its_own_diagram(bottlenecks, demo, client):
    client.force_login(demo["oscar"])
    html = client.get(PAGE, {"version": "1"}).content.decode()
    svg = html[html.index('class="diagram"') :]
    svg = svg[: svg.index("</svg>")]
    assert "Drawn on version 1." in html
    # v1: P and Q closed. The customer's wait: P 2 h, Q 6 h; finance 1 h each; both passed.
    assert "4.0 h / 5.6 h, 100 %" in svg and "1.0 h / 1.0 h, 100 %" in svg
    assert "another version" not in html


def test_each_number_opens_the_cases_that_passed_the_step(bottlenecks, demo, client):
    client.force_login(demo["oscar"])
    html = client.get(PAGE).content.decode()
    link = re.search(r'href="(/dashboards/bottleneck-flow/bottlenecks/cases/\?ref=approver%3Areview%3Afinance)"', html)
    assert link, "the finance approver's count links to its cases"
    listed = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert cases_listed(listed) == sorted([bottlenecks["P"].pk, bottlenecks["Q"].pk])
    rework = client.get(f"{PAGE}cases/", {"ref": "rework:rework", "from": "2026-11-01"}).content.decode()
    assert cases_listed(rework) == [bottlenecks["Q"].pk]
    assert "Bottlenecks of bottleneck-flow" in rework
    assert client.get(f"{PAGE}cases/", {"ref": "approver:nowhere"}).status_code == 404
    assert client.get(f"{PAGE}cases/").status_code == 400  # no number named


def test_the_csv_has_the_same_numbers(bottlenecks, demo, client):
    client.force_login(demo["olivia"])
    response = client.get(f"/dashboards/{KEY}/bottlenecks.csv", {"version": "2"})
    assert response["Content-Disposition"] == 'attachment; filename="dashboard-bottleneck-flow-bottlenecks.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["Review: Manager approval", "approver", "1", "1.0", "10.0", "10.0"] in rows
    assert ["Bottlenecks: Cases closed in the range"] in rows


@pytest.mark.parametrize(
    ("username", "query", "status"),
    [
        ("bob", {}, 403),  # a manager: his reports' approvals, no workflow whole
        ("alice", {}, 403),
        ("oscar", {"from": "yesterday"}, 400),
        ("oscar", {"team": "Nowhere"}, 400),
        ("oscar", {"role": "astronauts"}, 400),
    ],
)
def test_who_may_not_see_it_and_bad_filters(bottlenecks, demo, client, username, query, status):
    client.force_login(demo[username])
    assert client.get(PAGE, query).status_code == status
    assert client.get("/dashboards/no-such-flow/bottlenecks/").status_code in {403, 404}


def test_the_dashboard_loads_it_and_htmx_gets_the_panel_alone(bottlenecks, demo, client):
    client.force_login(demo["oscar"])
    dashboard = client.get(f"/dashboards/{KEY}/", {"version": "2"}).content.decode()
    assert 'hx-get="/dashboards/bottleneck-flow/bottlenecks/?version=2"' in dashboard
    fragment = client.get(PAGE, {"version": "2", "embedded": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "Open on its own page" in fragment and "<svg" in fragment
    assert client.get("/dashboards/no-such-flow/bottlenecks/").status_code == 404


def test_the_page_costs_a_fixed_number_of_queries(bottlenecks, demo, client, django_assert_num_queries):
    client.force_login(demo["olivia"])
    client.get(PAGE)
    # Session and user, the scope (her roles, her workflows: two), the filter, the version drawn, the
    # three of the numbers, the workflows and versions offered, the teams and roles offered; whatever
    # the number of cases.
    with django_assert_num_queries(14):
        assert client.get(PAGE).status_code == 200
