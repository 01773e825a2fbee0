"""The case timeline in a browser: a routing is one entry, its audit rows open without a script
(a native <details>, under the CSP); the field-level history reads in words, with the why."""

import pytest
from django.contrib.auth import get_user_model

from apps.cases.services import case_start, task_complete
from apps.demo.management.commands.seed_demo import seed_demo_data
from tests.browser.conftest import expect, shot, timeline_row
from tests.conftest import task_for


@pytest.mark.django_db(transaction=True)
def test_an_auditor_reads_the_routing_and_opens_its_rows(new_page):
    seed_demo_data()
    users = {u.username: u for u in get_user_model().objects.all()}
    case, _ = case_start(
        workflow="purchase-approval",
        data={"amount": "5000", "vendor": "ACME Ltd", "cost_center": "CC-100"},
        actor=users["alice"],
    )
    task_complete(
        task_id=task_for(case, "Manager approval").pk, actor=users["bob"], decision="return", reason="Too expensive"
    )
    task_complete(
        task_id=task_for(case, "Rework: complete the request").pk,
        actor=users["alice"],
        decision="submit",
        data={"cost_center": "CC-200"},
        comment="added cost center",
    )

    audrey = new_page("audrey")
    audrey.goto(f"/cases/{case.pk}/")
    routed = timeline_row(audrey, "Routed to Manager approval (bob) and Finance approval (finance queue)")
    expect(routed).to_have_count(2)  # the first round and the one after the resubmission
    first = routed.first
    expect(first).to_contain_text("Finance approval: Amount 5,000 >= 1,000. 2 of 2 must approve.")
    detail = first.locator("details.timeline-detail li", has_text="Task created · Finance approval")
    expect(detail).to_be_hidden()
    first.locator("summary", has_text="3 audit rows").click()
    expect(detail).to_be_visible()
    expect(detail).to_contain_text("(any member of finance)")
    expect(timeline_row(audrey, "bob", "Decision recorded: Return", "Too expensive")).to_have_count(1)
    expect(timeline_row(audrey, "Returned to requester", "No longer needed: Finance approval")).to_have_count(1)
    shot(audrey, "timeline-routing-open")

    audrey.get_by_role("link", name="Field-level history →").click()
    resubmitted = audrey.locator("section.card", has_text="Resubmitted by alice: added cost center")
    expect(resubmitted).to_have_count(1)
    expect(resubmitted.locator("tr", has_text="Cost center")).to_contain_text("CC-100")
    expect(resubmitted.locator("tr", has_text="State")).to_contain_text("Returned to requester")
    shot(audrey, "field-history")
