"""Issue 14, two-owner publishing in the browser: olivia turns on "publishing needs a second owner's
approval" and makes wendy an owner; her Publish becomes a change request; wendy reviews the diff and
the impact preview on her task and approves; the reviewed draft goes live. olivia, the author, cannot
decide the request herself."""

import re

import pytest

from apps.cases.models import Case
from apps.definitions.models import ChangeRequest
from apps.demo.management.commands.seed_demo import seed_demo_data
from apps.org import roles
from apps.org.services import person_upsert
from tests.browser.conftest import PASSWORD, expect, shot
from tests.conftest import open_tasks

INTRO = "Finance approves from 5,000. Your manager approves every purchase."


@pytest.mark.django_db(transaction=True)
def test_a_second_owner_approves_the_change_and_the_reviewed_draft_goes_live(new_page):
    seed_demo_data()
    person_upsert(username="wendy", password=PASSWORD, first_name="Wendy", roles=[roles.WORKFLOW_OWNERS])

    olivia = new_page("olivia")
    olivia.goto("/builder/purchase-approval/")
    control = olivia.locator("#change-control")
    control.locator("summary").click()
    control.locator('input[name="username"]').fill("wendy")
    control.get_by_role("button", name="Add owner").click()
    expect(olivia.locator(".messages")).to_contain_text("wendy now owns Purchase approval")
    control = olivia.locator("#change-control")
    control.locator("summary").click()
    control.locator('input[name="needs_second_approval"]').check()
    control.get_by_role("button", name="Save change control").click()
    expect(olivia.locator("#change-control")).to_contain_text("second owner approves")
    expect(olivia.locator("#change-control")).to_contain_text("olivia, wendy")

    olivia.get_by_role("button", name="New draft from version 1").first.click()
    expect(olivia).to_have_url(re.compile(r"/builder/purchase-approval/draft/$"))
    olivia.locator("#texts textarea[name=form_intro]").fill(INTRO)
    olivia.locator("#texts").get_by_role("button", name="Save texts").click()
    expect(olivia.locator("#flash")).to_have_text("Texts saved.")
    expect(olivia.get_by_role("button", name=re.compile("^Publish as version"))).to_have_count(0)
    olivia.locator("#publish-note").fill("Finance from 5,000, in the texts too")
    olivia.get_by_role("button", name="Request approval to publish").click()
    expect(olivia.locator("#change-status")).to_contain_text("is waiting for another owner's approval")
    shot(olivia, "change-requested")

    change = ChangeRequest.objects.get()
    (task,) = open_tasks(Case.objects.get(pk=change.case_id))
    olivia.goto(f"/tasks/{task.pk}/")  # the author may read her request, not decide it
    expect(olivia.locator("main")).to_contain_text("You requested this case, so you cannot approve it")
    expect(olivia.get_by_role("button", name="Approve")).to_have_count(0)

    wendy = new_page("wendy")
    wendy.goto("/inbox/")
    wendy.get_by_role("link", name=re.compile("Another owner")).first.click()
    expect(wendy).to_have_url(re.compile(rf"/tasks/{task.pk}/$"))
    data = wendy.locator("dl.data")
    expect(data).to_contain_text("purchase-approval")
    expect(data).to_contain_text("Texts / Text above the start form changed")
    expect(data).to_contain_text("cases would route differently")
    expect(data).to_contain_text("Finance from 5,000, in the texts too")
    shot(wendy, "change-request-task")
    wendy.get_by_role("button", name="Approve").click()
    expect(wendy.locator(".messages")).to_contain_text("approved")

    olivia.goto("/builder/purchase-approval/")
    expect(olivia.locator("h1")).to_contain_text("live: v2")
    expect(olivia.locator("#change-requests")).to_contain_text("Approved and published v2")
    expect(olivia.locator("#change-requests")).to_contain_text("wendy")
    shot(olivia, "change-approved")

    alice = new_page("alice")
    alice.goto("/requests/new/purchase-approval/")
    expect(alice.locator(".form-intro")).to_have_text(INTRO)
