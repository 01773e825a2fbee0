"""Issue 12: finance moves from 1,000 to 5,000, and the texts move with it. The draft warns that its
texts still say 1,000; olivia rewrites them in the Texts section and publishes; alice's start form
says 5,000, and version 1's page and SOP still say 1,000."""

import re

import pytest

from apps.demo.management.commands.seed_demo import seed_demo_data
from tests.browser.conftest import expect, shot

FINANCE_RULE = '[data-target="approver:approval:finance"]'
INTRO = "From 5,000 finance approves too. Your manager approves every purchase."


@pytest.mark.django_db(transaction=True)
def test_the_texts_move_with_the_finance_threshold(new_page):
    seed_demo_data()
    olivia = new_page("olivia")
    olivia.goto("/builder/purchase-approval/")
    olivia.get_by_role("button", name="New draft from version 1").first.click()
    expect(olivia).to_have_url(re.compile(r"/builder/purchase-approval/draft/$"))
    texts = olivia.locator("#texts")
    expect(texts.locator("textarea[name=form_intro]")).to_have_value(re.compile("1,000 or more"))
    expect(texts.locator(".text-warning")).to_have_count(0)

    rule = olivia.locator(FINANCE_RULE)
    rule.get_by_role("link", name="Edit").click()
    rule.locator('input[name="value"]').fill("5000")
    rule.get_by_role("button", name="Save").click()
    expect(olivia.locator("#flash")).to_have_text("Saved.")
    expect(olivia.locator("#texts .text-warning")).to_contain_text("The texts mention 1,000")
    expect(olivia.locator("#problems")).to_contain_text("The texts may describe the old rules")
    shot(olivia, "texts-out-of-date")

    texts = olivia.locator("#texts")
    texts.locator("textarea[name=description]").fill("Purchases of 5,000 or more also need finance.")
    texts.locator("textarea[name=form_intro]").fill(INTRO)
    texts.get_by_role("button", name="Save texts").click()
    expect(olivia.locator("#flash")).to_have_text("Texts saved.")
    expect(olivia.locator("#texts .text-warning")).to_have_count(0)
    shot(olivia, "texts-saved")

    olivia.get_by_role("button", name="Publish as version 2").click()
    expect(olivia).to_have_url(re.compile(r"/builder/purchase-approval/versions/2/$"))
    expect(olivia.locator("#texts")).to_contain_text(INTRO)
    olivia.goto("/builder/purchase-approval/versions/1/")
    expect(olivia.locator("#texts")).to_contain_text("1,000 or more")
    shot(olivia, "version-1-keeps-its-texts")

    alice = new_page("alice")
    alice.goto("/requests/new/purchase-approval/")
    expect(alice.locator(".form-intro")).to_have_text(INTRO)
    expect(alice.locator("main")).not_to_contain_text("1,000")
    shot(alice, "start-form-says-5000")
