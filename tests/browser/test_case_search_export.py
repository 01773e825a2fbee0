"""An auditor finds a case by its vendor and downloads the list she sees (issue 12)."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model

from apps.cases.services import case_start
from apps.demo.management.commands.seed_demo import seed_demo_data
from tests.browser.conftest import expect, shot


@pytest.mark.django_db(transaction=True)
def test_an_auditor_searches_by_text_and_exports_what_she_sees(new_page):
    seed_demo_data()
    alice = get_user_model().objects.get(username="alice")
    found, other = (
        case_start(
            workflow="purchase-approval", data={"amount": "700", "vendor": vendor, "cost_center": "CC-1"}, actor=alice
        )[0]
        for vendor in ("Initech", "ACME Ltd")
    )

    audrey = new_page("audrey")
    audrey.goto("/audit/cases/")
    audrey.get_by_label("Text").fill("initech")
    audrey.get_by_role("button", name="Search").click()
    results = audrey.locator("#results")
    expect(results).to_contain_text(f"#{found.pk}")
    expect(results).not_to_contain_text(f"#{other.pk}")
    expect(results.get_by_role("link", name="Export CSV")).to_have_attribute(
        "href", "/audit/cases/export.csv?q=initech"
    )
    shot(audrey, "found")

    with audrey.expect_download() as download:
        results.get_by_role("link", name="Export CSV").click()
    rows = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert [r[0] for r in rows[1:]] == [str(found.pk)]
    assert download.value.suggested_filename.startswith("cases-") and download.value.suggested_filename.endswith(".csv")
