"""A UI step built from rows in the browser: the owner adds one, its script starts with a goto,
rows are added and their action changed (the row then asks for that action's inputs) through
htmx under the page's CSP, a problem shows at its row, and the saved step is in the stage list."""

import pytest

from apps.definitions.models import DefinitionVersion
from apps.definitions.selectors import version_live
from apps.definitions.services import draft_create_from
from apps.demo.management.commands.seed_demo import seed_demo_data
from tests.browser.conftest import expect, shot


@pytest.mark.django_db(transaction=True)
def test_olivia_adds_a_ui_step_row_by_row(new_page, django_user_model):
    seed_demo_data()
    draft = draft_create_from(
        version=version_live(key="purchase-approval"), actor=django_user_model.objects.get(username="olivia")
    )
    page = new_page("olivia")
    page.goto("/builder/purchase-approval/draft/")
    page.get_by_role("link", name="+ Add a UI step (browser)").click()
    form = page.locator("tr#row-steps--new")
    script = form.locator("fieldset.ui-script").first
    expect(script.locator("tr.script-row")).to_have_count(1)
    form.locator('input[name="key"]').fill("check_portal")
    form.locator('input[name="system"]').fill("Supplier portal")
    script.locator('input[name="script-0-url"]').fill("{{endpoint.SUPPLIER_PORTAL}}/login/")

    script.get_by_role("button", name="+ Add an action").click()
    expect(script.locator("tr.script-row")).to_have_count(2)
    expect(script.locator('input[name="script-0-url"]')).to_have_value("{{endpoint.SUPPLIER_PORTAL}}/login/")
    script.locator('select[name="script-1-do"]').select_option("screenshot")
    expect(script.locator('input[name="script-1-name"]')).to_be_visible()  # the row now asks for a name
    expect(script.locator('input[name="script-1-selector"]')).to_have_count(0)
    script.locator('input[name="script-1-name"]').fill("login page {{field.vendor}}")
    shot(page, "ui-step-rows")
    form.get_by_role("button", name="Save").click()
    expect(script.locator("tr.script-row.invalid")).to_have_count(1)
    expect(script.locator("tr.script-row.invalid .error")).to_contain_text("a screenshot's name is plain text")
    shot(page, "ui-step-row-refused")

    script.locator('input[name="script-1-name"]').fill("login page")
    script.locator('button[title="Move up"]').last.click()  # the screenshot first: a goto must lead
    expect(script.locator('select[name="script-0-do"]')).to_have_value("screenshot")
    script.locator('button[title="Move down"]').first.click()
    expect(script.locator('select[name="script-0-do"]')).to_have_value("goto")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#flash")).to_have_text("Saved.")
    expect(page.locator("table.rows[data-section=stages] tbody tr").filter(has_text="check_portal")).to_contain_text(
        "enters it in Supplier portal (browser): 2 actions, no guard"
    )
    shot(page, "ui-step-saved")
    assert DefinitionVersion.objects.get(pk=draft.pk).spec["stages"][-1]["script"] == [
        {"do": "goto", "url": "{{endpoint.SUPPLIER_PORTAL}}/login/"},
        {"do": "screenshot", "name": "login page"},
    ]
