"""The Content-Security-Policy in a real browser: the main pages, the builder's diagram, Swagger UI and
the admin load without a single violation, and htmx still acts in place (a claim from the queue)."""

import pytest

from apps.cases.services import case_start
from apps.demo.management.commands.seed_demo import seed_demo_data
from tests.browser.conftest import expect, row_of, shot

# Runs before any page script (and outside the policy): collects every violation the page reports.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""
ADMIN_PAGES = [
    "/",
    "/inbox/",
    "/cases/{case}/",
    "/requests/new/purchase-approval/",
    "/builder/purchase-approval/draft/",
    "/builder/purchase-approval/versions/1/",
    "/builder/purchase-approval/versions/1/sop/",
    "/builder/purchase-approval/diff/",
    "/exceptions/",
    "/dashboards/",
    "/dashboards/purchase-approval/",
    "/integrations/",
    "/calendars/",
    "/notifications/",
    "/admin/",
    "/admin/auth/user/",
]


def _watched(page):
    page.context.add_init_script(RECORD_VIOLATIONS)
    return page


def _violations(page) -> list:
    page.wait_for_load_state("load")
    return page.evaluate("window.__csp || []")


@pytest.mark.django_db(transaction=True)
def test_main_pages_swagger_admin_and_an_htmx_claim_cause_no_violation(new_page, django_user_model):
    seed_demo_data()
    alice = django_user_model.objects.get(username="alice")
    data = {"amount": "5000", "vendor": "ACME Ltd", "cost_center": "CC-1"}
    case, _ = case_start(workflow="purchase-approval", data=data, actor=alice)

    # fiona claims the finance approval in her role's queue: an htmx POST swapping the row in place.
    fiona = _watched(new_page("fiona"))
    fiona.goto("/inbox/?tab=queue")
    row = row_of(fiona, case.pk)
    row.get_by_role("button", name="Claim").click()
    expect(row.get_by_role("button", name="Release")).to_be_visible()
    assert _violations(fiona) == []
    shot(fiona, "claimed-under-csp")

    admin = _watched(new_page("admin"))
    admin.goto("/builder/purchase-approval/")
    admin.get_by_role("button", name="New draft from version 1").click()
    expect(admin.locator("svg.diagram")).to_be_visible()
    expect(admin.locator("svg.diagram g.task")).to_have_count(4)  # 3 approvals and the rework: drawn, not just present
    shot(admin, "diagram-under-csp")
    for url in ADMIN_PAGES:
        admin.goto(url.format(case=case.pk))
        assert _violations(admin) == [], url
    expect(admin.locator("#changelist")).to_be_visible()  # the admin's user list renders
    admin.goto("/api/docs/")
    expect(admin.locator(".swagger-ui .opblock").first).to_be_visible()
    admin.locator(".swagger-ui .opblock-summary").first.click()  # an operation, opened: its models and examples
    expect(admin.locator(".swagger-ui .opblock-body").first).to_be_visible()
    assert _violations(admin) == [], "/api/docs/"
    shot(admin, "swagger-under-csp")
