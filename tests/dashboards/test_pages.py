"""The dashboards' pages on the constructed history (tests/metrics/conftest.py): every panel shows
the numbers the metrics selectors compute, each linked to the cases behind it."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine

from apps.metrics.filters import metrics_filter
from apps.metrics.policy import metrics_scope
from apps.metrics.selectors import (
    aging_panel,
    approvals_panel,
    cycle_time_panel,
    exceptions_panel,
    rework_panel,
    sla_panel,
    wip_panel,
)

from .conftest import KEY, NOW

PAGE = f"/dashboards/{KEY}/"


def table(html: str, name: str) -> list[list[str]]:
    """The cells' texts of the table `data-table=name` (links unwrapped)."""
    match = re.search(rf'<table class="numbers" data-table="{name}">(.*?)</table>', html, re.S)
    assert match, f"no table {name}"
    body = match.group(1).split("<tbody>", 1)[1]
    return [
        [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def links(html: str, name: str) -> list[str]:
    match = re.search(rf'<table class="numbers" data-table="{name}">(.*?)</table>', html, re.S)
    return [unescape(href) for href in re.findall(r'<a href="([^"]+)" class="drill">', match.group(1))]


@pytest.fixture
def page(history, demo, client):
    client.force_login(demo["oscar"])
    with time_machine.travel(NOW, tick=False):
        response = client.get(PAGE)
    assert response.status_code == 200
    return response.content.decode()


def selectors(demo, **query):
    args = {"scope": metrics_scope(user=demo["oscar"]), "metrics_filter": metrics_filter(workflow=KEY, **query)}
    return args


def test_work_in_progress(page, history, demo):
    wip = wip_panel(**selectors(demo))
    assert table(page, "wip-open") == [[str(wip["open"])]] == [["1"]]
    assert table(page, "wip-stage") == [[g["stage"], str(g["count"])] for g in wip["by_stage"]] == [["review", "1"]]
    assert table(page, "wip-waiting") == [
        ["a person (approval)", "1"],
        ["a system (routing, automated step)", "0"],
        ["the requester (rework)", "0"],
        ["an operator (exception)", "0"],
    ]


def test_aging_lists_the_oldest_linked(page, history, demo):
    aging = aging_panel(**selectors(demo), now=NOW)
    assert table(page, "aging-bucket") == [[b["bucket"], str(b["count"])] for b in aging["buckets"]]
    d = history["D"].pk
    assert table(page, "aging-oldest") == [[f"#{d}", KEY, "review", "2.0", "2.0"]]
    (drill, *_) = links(page, "aging-oldest")
    assert parse_qs(urlsplit(drill).query) == {"workflow": [KEY], "panel": ["aging"], "ref": [f"case:{d}"]}


def test_approvals(page, history, demo):
    panel = approvals_panel(**selectors(demo), now=NOW)
    assert panel["by_person"][0]["owner"] == "bob"
    assert table(page, "approvals-person") == [["bob", "1", "2.0"]]
    assert "approvals-role" not in page  # nothing waits in a role's queue: "None."
    assert table(page, "approvals-latency") == [["review", "4", "13.0", "23.7"]]


def test_exceptions_show_none_on_a_history_without_failures(page, history, demo):
    assert exceptions_panel(**selectors(demo)) == {"by_category": [], "by_week": [], "recurring": []}
    section = page.split('id="panel-exceptions"', 1)[1].split("</section>", 1)[0]
    assert "Probably a missing rule" in section and section.count("None.") == 3
    assert "Nothing to show" in section  # the chart says so too


def test_cycle_time_overall_per_week_version_and_outcome(page, history, demo):
    panel = cycle_time_panel(**selectors(demo))
    overall = panel["overall"]
    assert table(page, "cycle-time-overall") == [["4", "2.5", "34.5", "2.5", f"{overall['business_p90']:.1f}"]]
    assert table(page, "cycle-time-version") == [
        [str(g["version"]), str(g["count"]), f"{g['p50']:.1f}", f"{g['p90']:.1f}"] for g in panel["by_version"]
    ]
    assert [row[0] for row in table(page, "cycle-time-outcome")] == ["approved", "rejected", "withdrawn"]
    assert [row[0] for row in table(page, "cycle-time-week")] == ["2026-11-02"]


def test_rework(page, history, demo):
    panel = rework_panel(**selectors(demo))
    assert (panel["closed"], panel["returned"]["count"]) == (4, 1)
    assert table(page, "rework-summary") == [["4", "1", "25.0 %"]]
    assert table(page, "rework-returns") == [["0", "3"], ["1", "1"]]


def test_sla(page, history, demo):
    panel = sla_panel(**selectors(demo), now=NOW)
    assert table(page, "sla-total") == [[str(panel["met"]), str(panel["breached"])]]
    assert table(page, "sla-stage") == [[g["stage"], str(g["met"]), str(g["breached"])] for g in panel["by_stage"]]
    assert table(page, "sla-escalation") == [["1", "remind", "1"]]


def test_each_panel_has_its_chart_drawn_without_inline_style_or_script(page):
    for key in ("wip", "aging", "approvals", "exceptions", "cycle-time", "rework", "sla"):
        section = page.split(f'id="panel-{key}"', 1)[1].split("</section>", 1)[0]
        (svg,) = re.findall(r'<svg [^>]*class="pygal-chart".*?</svg>', section, re.S)
        assert not re.search(r"<style|<script|\sstyle=", svg)
    assert '<link rel="stylesheet" href="/dashboards/charts.css">' in page


def test_a_bar_links_to_the_cases_behind_it(page, history):
    section = page.split('id="panel-wip"', 1)[1].split("</section>", 1)[0]
    assert "/dashboards/cases/?workflow=metrics-flow&amp;panel=wip&amp;ref=stage%3Areview" in section


def test_the_across_workflows_page_counts_the_same_cases(history, demo, client):
    client.force_login(demo["oscar"])
    with time_machine.travel(NOW, tick=False):
        html = client.get("/dashboards/").content.decode()
    # The demo's purchase approval has no case in this history: the only open case is D.
    assert table(html, "wip-stage") == [["review", "1"]]
    assert table(html, "cycle-time-overall")[0][0] == "4"


def test_a_version_and_a_date_range_narrow_the_numbers(history, demo, client):
    client.force_login(demo["oscar"])
    with time_machine.travel(NOW, tick=False):
        v2 = client.get(PAGE, {"version": "2"}).content.decode()
        later = client.get(PAGE, {"from": "2026-11-04", "to": "2026-11-04"}).content.decode()
    assert table(v2, "cycle-time-version") == [["2", "1", "3.0", "3.0"]]
    assert table(later, "cycle-time-overall")[0][0] == "1"  # only B closed on Wednesday
    assert 'value="2026-11-04"' in later


def test_htmx_gets_only_the_panels(history, demo, client):
    client.force_login(demo["oscar"])
    response = client.get(PAGE, {"from": "2026-11-02"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<header" not in html and 'id="panel-wip"' in html


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-11-05", "to": "2026-11-01"}, "to"),
        ({"version": "9"}, "version"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_field(history, demo, client, query, field):
    client.force_login(demo["oscar"])
    response = client.get(PAGE, query)
    assert response.status_code == 400
    assert f"<strong>{field}</strong>" in response.content.decode()


def test_htmx_gets_a_refused_filter_in_place(history, demo, client):
    client.force_login(demo["oscar"])
    response = client.get(PAGE, {"from": "2026-11-05", "to": "2026-11-01"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 400 and "<header" not in html
    assert "<strong>to</strong>: The end of the range (2026-11-01) is before its start (2026-11-05)." in html


def test_an_unknown_workflow_is_a_404(demo, client):
    client.force_login(demo["admin"])
    assert client.get("/dashboards/no-such-flow/").status_code == 404
