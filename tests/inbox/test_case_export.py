"""Exporting the auditors' case list as CSV and XLSX (issue 12): the same filters as the search,
every page, columns people read, and no value a spreadsheet would run as a formula."""

import csv
import io

import openpyxl
import pytest

from apps.cases.services import case_start_test, task_complete
from apps.definitions.selectors import version_live
from apps.definitions.services import draft_create_from
from apps.inbox.exports import cell_text
from apps.portal.pages import PAGE_SIZE
from tests.conftest import task_for


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def xlsx_rows(response) -> list[list]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


@pytest.fixture
def audrey(signed_in):
    return signed_in("audrey")


def test_csv_has_every_page_of_the_filtered_list(audrey, start_purchase, users):
    mine = [start_purchase(amount=str(100 + n)) for n in range(PAGE_SIZE + 2)]
    start_purchase(actor=users["frank"])
    response = audrey.get("/audit/cases/export.csv?requester=alice")
    assert 'filename="cases-' in response["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0][:7] == ["Request", "Workflow", "Version", "Test", "Requester", "Status", "Outcome"]
    assert rows[0][7].startswith("Started (") and rows[0][8].startswith("Closed (")
    assert [int(r[0]) for r in rows[1:]] == sorted((c.pk for c in mine), reverse=True), "newest first, not one page"
    assert {r[4] for r in rows[1:]} == {"alice"}


def test_one_workflow_gets_a_labelled_column_per_field(audrey, start_purchase, users):
    case = start_purchase(amount="100", vendor="ACME Ltd", description="Two laptops")
    task_complete(task_id=task_for(case, "Manager approval").pk, actor=users["bob"], decision="approve")
    rows = xlsx_rows(audrey.get("/audit/cases/export.xlsx?workflow=purchase-approval&q=laptops"))
    headers, row = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert len(rows) == 2
    assert {"Amount", "Vendor", "Cost center", "Description"} <= set(headers) and "Data" not in headers
    assert [row[h] for h in ("Request", "Workflow", "Version", "Requester")] == [
        case.pk,
        "purchase-approval",
        "v1",
        "alice",
    ]
    assert [row[h] for h in ("Status", "Outcome", "Vendor", "Description")] == [
        "Closed",
        "Approved",
        "ACME Ltd",
        "Two laptops",
    ]
    closed = next(v for h, v in row.items() if h.startswith("Closed ("))
    assert closed is not None and closed.year >= 2020, "a date cell, not text"


def test_several_workflows_share_one_data_column(audrey, start_purchase):
    case = start_purchase(vendor="Initech", cost_center="CC-9")
    rows = csv_rows(audrey.get("/audit/cases/export.csv"))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Request"] == str(case.pk) and row["Outcome"] == "Waiting for approval" and row["Status"] == "Open"
    assert "Vendor: Initech" in row["Data"] and "Cost center: CC-9" in row["Data"]


def test_test_cases_are_exported_only_when_the_search_shows_them(audrey, start_purchase, users):
    real = start_purchase()
    draft = draft_create_from(version=version_live(key="purchase-approval"), actor=users["olivia"])
    test = case_start_test(
        version=draft, data={"amount": "5", "vendor": "V", "cost_center": "C"}, actor=users["olivia"]
    )
    assert [r[0] for r in csv_rows(audrey.get("/audit/cases/export.csv"))[1:]] == [str(real.pk)]
    rows = csv_rows(audrey.get("/audit/cases/export.csv?tests=include"))
    assert [(r[0], r[2], r[3]) for r in rows[1:]] == [(str(test.pk), "draft (test)", "yes"), (str(real.pk), "v1", "")]


@pytest.mark.parametrize("formula", ['=HYPERLINK("http://x","y")', "+1+2", "-2+3", "@SUM(A1)"])
def test_a_value_that_looks_like_a_formula_is_made_inert(audrey, start_purchase, formula):
    start_purchase(vendor=formula)
    row = dict(zip(*csv_rows(audrey.get("/audit/cases/export.csv?workflow=purchase-approval"))[:2], strict=True))
    assert row["Vendor"] == "'" + formula
    sheet = openpyxl.load_workbook(
        io.BytesIO(audrey.get("/audit/cases/export.xlsx?workflow=purchase-approval").content)
    )
    cell = sheet.active.cell(row=2, column=list(row).index("Vendor") + 1)
    assert cell.data_type == "s" and cell.value == "'" + formula


def test_plain_numbers_and_text_are_left_as_they_are_and_a_leading_tab_is_caught():
    assert [cell_text(v) for v in ["-12.5", "+3", "ACME", 5, None, True]] == ["-12.5", "+3", "ACME", "5", "", "yes"]
    assert cell_text("\t=1") == "'\t=1" and cell_text("\r=1") == "'\r=1"


def test_the_search_page_links_to_both_exports_with_its_filters(audrey, start_purchase):
    start_purchase()
    page = audrey.get("/audit/cases/?q=acme&status=open&page=1").content.decode()
    assert 'href="/audit/cases/export.csv?q=acme&amp;status=open"' in page
    assert 'href="/audit/cases/export.xlsx?q=acme&amp;status=open"' in page


def test_export_is_for_auditors_and_administrators_only(signed_in, start_purchase):
    start_purchase()
    assert signed_in("alice").get("/audit/cases/export.csv").status_code == 403
    assert signed_in("fiona").get("/audit/cases/export.xlsx").status_code == 403
    assert signed_in("admin").get("/audit/cases/export.xlsx").status_code == 200


def test_a_bad_filter_is_a_400_naming_it(audrey):
    response = audrey.get("/audit/cases/export.csv?status=sideways")
    assert response.status_code == 400
    assert "Status: Select a valid choice." in response.content.decode()


def test_each_export_is_audited_with_its_filters_and_size(audrey, start_purchase, users):
    from apps.audit.models import Action, AuditEvent

    start_purchase()
    start_purchase(actor=users["frank"])
    audrey.get("/audit/cases/export.xlsx?requester=frank&q=acme")
    event = AuditEvent.objects.get(action=Action.CASES_EXPORTED)
    assert (event.actor, event.case_id) == (users["audrey"], None)
    assert event.context == {"format": "xlsx", "filters": {"q": "acme", "requester": "frank"}, "rows": 1}
    refused = audrey.get("/audit/cases/export.csv?status=sideways")
    assert refused.status_code == 400 and AuditEvent.objects.filter(action=Action.CASES_EXPORTED).count() == 1


def test_a_field_only_an_older_version_has_keeps_its_column_and_is_still_searched(audrey, start_purchase, users):
    """Cases pin their version: a field dropped in v2 still holds v1 cases' values."""
    import copy

    from apps.definitions.services import draft_update, version_publish

    old = start_purchase(description="Standing desk")
    draft = draft_create_from(version=version_live(key="purchase-approval"), actor=users["olivia"])
    spec = copy.deepcopy(draft.spec)
    spec["fields"] = [f for f in spec["fields"] if f["name"] != "description"]
    spec["fields"].append({"name": "project", "type": "text", "label": "Project"})
    version_publish(version=draft_update(version=draft, spec=spec, actor=users["olivia"]), actor=users["olivia"])
    new = start_purchase(project="Apollo")
    rows = csv_rows(audrey.get("/audit/cases/export.csv?workflow=purchase-approval"))
    by_case = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert rows[0].index("Project") < rows[0].index("Description"), "the live version's fields first"
    assert (by_case[str(old.pk)]["Description"], by_case[str(new.pk)]["Project"]) == ("Standing desk", "Apollo")
    assert [r[0] for r in csv_rows(audrey.get("/audit/cases/export.csv?q=standing"))[1:]] == [str(old.pk)]
