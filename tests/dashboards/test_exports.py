"""Each panel as CSV: the tables the page shows, numbers unrounded, nothing a spreadsheet would run."""

import csv
import io

import pytest
import time_machine

from apps.dashboards.exports import cell_text, csv_rows
from apps.dashboards.panels import Cell, Panel, Table

from .conftest import KEY, NOW


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_approvals_panel_as_csv(history, demo, client):
    client.force_login(demo["oscar"])
    with time_machine.travel(NOW, tick=False):
        response = client.get(f"/dashboards/{KEY}/approvals.csv", {"from": "2026-11-02", "to": "2026-11-04"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="dashboard-{KEY}-approvals-2026-11-02-2026-11-04.csv"'
    )
    assert rows_of(response) == [
        ["Approvals: Pending with a person"],
        ["Person", "Pending", "Oldest (hours)"],
        ["bob", "1", "2.0"],
        [],
        ["Approvals: Pending in a role's queue"],
        ["Role queue", "Pending", "Oldest (hours)"],
        [],
        ["Approvals: Approval latency per stage (decided in the range)"],
        ["Stage", "Decided", "p50 (hours)", "p90 (hours)"],
        ["review", "4", "13.0", "23.7"],
    ]


def test_the_rework_panel_across_workflows_writes_the_rate_unrounded(history, demo, client):
    client.force_login(demo["audrey"])
    rows = rows_of(client.get("/dashboards/rework.csv"))
    assert rows[:3] == [
        ["Rework: Cases closed in the range"],
        ["Closed cases", "Returned at least once", "Rework rate"],
        ["4", "1", "0.25"],
    ]


@pytest.mark.parametrize("panel", ["wip", "aging", "exceptions", "cycle-time", "sla"])
def test_every_panel_has_its_csv(history, demo, client, panel):
    client.force_login(demo["olivia"])
    response = client.get(f"/dashboards/{KEY}/{panel}.csv")
    assert response.status_code == 200 and rows_of(response)[0][0].startswith(("Work", "Aging", "Exc", "Cyc", "SLA"))


def test_an_unknown_panel_is_a_404(demo, client):
    client.force_login(demo["oscar"])
    assert client.get("/dashboards/nothing.csv").status_code == 404


def test_a_label_that_looks_like_a_formula_is_made_inert():
    panel = Panel("exceptions", "Exceptions", "", [Table("category", "By category", ["Step", "Failures"])])
    panel.tables[0].rows.append([Cell(value='=HYPERLINK("http://x","y")'), Cell(value=3)])
    panel.tables[0].rows.append([Cell(value="@SUM(A1)"), Cell(value=-2.5)])
    assert csv_rows(panel)[2:] == [['\'=HYPERLINK("http://x","y")', "3"], ["'@SUM(A1)", "-2.5"]]
    assert cell_text(None) == "" and cell_text("+1") == "+1" and cell_text("-cmd") == "'-cmd"
