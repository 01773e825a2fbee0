"""The auditor's case view (issue 14's "done means"): a delegate's rejection shows whom they acted
for and the reason code; the audit trail search finds it across cases, in the same words."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.cases.services import case_start, task_complete
from apps.demo.management.commands.seed_demo import seed_demo_data
from apps.org.services import absence_set
from tests.browser.conftest import expect, shot, timeline_row
from tests.conftest import task_for


@pytest.mark.django_db(transaction=True)
def test_an_auditor_sees_on_behalf_of_and_the_reason_code(new_page):
    seed_demo_data()
    users = {u.username: u for u in get_user_model().objects.all()}
    now = timezone.now()
    absence_set(
        user=users["bob"],
        starts=now - timedelta(hours=1),
        ends=now + timedelta(days=3),
        delegate=users["frank"],
        actor=users["bob"],
    )
    case, _ = case_start(
        workflow="purchase-approval",
        data={"amount": "5000", "vendor": "ACME Ltd", "cost_center": "CC-100"},
        actor=users["alice"],
    )
    task_complete(
        task_id=task_for(case, "Manager approval").pk,
        actor=users["frank"],
        decision="reject",
        reason_code="over_budget",
        reason="Q3 budget is spent.",
    )

    audrey = new_page("audrey")
    audrey.goto(f"/cases/{case.pk}/")
    decided = timeline_row(audrey, "Decision recorded", "Reject")
    expect(decided).to_have_count(1)
    expect(decided).to_contain_text("frank on behalf of bob")
    expect(decided.locator(".badge", has_text="Over budget")).to_be_visible()
    expect(decided).to_contain_text("Q3 budget is spent.")
    routed = timeline_row(audrey, "Routed to Manager approval (frank)")
    routed.locator("summary").first.click()
    expect(routed.locator("dd[data-context='on_behalf_of']").first).to_have_text("bob")
    shot(audrey, "auditor-case-view")

    audrey.locator("details.menu summary").click()
    audrey.get_by_role("link", name="Audit trail").click()
    audrey.locator("input[name='actor']").fill("frank")
    audrey.locator("select[name='action']").select_option("task.decided")
    audrey.get_by_role("button", name="Search").click()
    row = audrey.locator("table.events tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("dd[data-context='on_behalf_of']")).to_have_text("bob")
    expect(row.locator("dd[data-context='reason_code']")).to_have_text("Over budget (over_budget)")
    shot(audrey, "audit-trail-search")

    audrey.locator("nav.tabs").get_by_role("link", name="Access").click()
    expect(audrey.locator("section.role-card[data-role='auditors']")).to_contain_text("audrey")
    shot(audrey, "access")
