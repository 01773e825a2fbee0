"""UI steps in the builder: the step's settings and its script and guard as rows, one action per
row; rows added, removed and moved before saving; the saved step exactly the spec the owner
meant; the spec validator's problems shown at the row they are about."""

import copy

import pytest

from apps.definitions.models import DefinitionVersion
from apps.definitions.selectors import version_live
from apps.definitions.services import draft_create_from
from apps.definitions.spec import validate_spec
from apps.definitions.ui_step_editing import MSG_NO_SCRIPT, ui_form_op, ui_form_values

KEY = "supplier-order"
HX = {"HTTP_HX_REQUEST": "true"}
ROW = f"/builder/{KEY}/draft/rows/steps/"
FIELDS = [
    {"name": "amount", "type": "decimal", "label": "Amount", "required": True},
    {"name": "po_number", "type": "text", "label": "PO number", "required": True},
    {"name": "currency", "type": "choice", "label": "Currency", "choices": ["EUR", "USD"], "default": "EUR"},
    {"name": "supplier_order_number", "type": "text", "label": "Supplier order number"},
]
PORTAL = "{{endpoint.SUPPLIER_PORTAL}}"
LOGIN = [
    {"do": "goto", "url": PORTAL + "/login/"},
    {"do": "fill", "selector": "#username", "value": "{{secret.SUPPLIER_PORTAL_USER}}"},
    {"do": "fill", "selector": "#password", "value": "{{secret.SUPPLIER_PORTAL_PASSWORD}}"},
    {"do": "click", "selector": "button[type=submit]"},
]
UI_STEP = {
    "key": "enter_order",
    "name": "Enter the order in the supplier portal",
    "type": "ui",
    "system": "Supplier portal",
    "timeout_seconds": 20,
    "retry": {"attempts": 3, "backoff_seconds": 30, "max_backoff_seconds": 600},
    "on_failure": "exception_queue",
    "guard": {
        "script": [
            *LOGIN,
            {"do": "fill", "selector": "#search", "value": "{{field.po_number}}"},
            {"do": "click", "selector": "#search-go"},
            {"do": "wait_for", "selector": "#results"},
        ],
        "found": "td.po-number",
        "extract": {"supplier_order_number": "td.order-number"},
    },
    "script": [
        *LOGIN,
        {"do": "expect_text", "selector": "h1", "text": "Orders", "login": True},
        {"do": "goto", "url": PORTAL + "/orders/new/"},
        {"do": "fill", "selector": "#po-number", "value": "{{field.po_number}}"},
        {"do": "fill", "selector": "#amount", "value": "{{field.amount}}"},
        {"do": "select", "selector": "#currency", "value": "{{field.currency}}"},
        {"do": "click", "selector": "#save"},
        {"do": "wait_for", "selector": "#order-number"},
        {"do": "extract", "selector": "#order-number", "field": "supplier_order_number"},
        {"do": "screenshot", "name": "order entered"},
    ],
}
APPROVAL = {
    "key": "approval",
    "name": "Approval",
    "approvers": [{"key": "boss", "label": "Manager", "type": "manager"}],
}


@pytest.fixture
def ui_draft(publish, demo):
    publish(KEY, [APPROVAL, UI_STEP], FIELDS)
    return draft_create_from(version=version_live(key=KEY), actor=demo["olivia"])


def spec_of(draft):
    return DefinitionVersion.objects.get(pk=draft.pk).spec


def form_post(values, **extra):
    return {"index": extra.pop("index", "1"), **values, **extra}


def test_the_contract_step_is_valid():
    assert validate_spec({"fields": FIELDS, "stages": [APPROVAL, UI_STEP]}) == []


def test_the_stage_list_shows_the_ui_step_and_offers_one(signed_in, ui_draft):
    page = signed_in("olivia").get(f"/builder/{KEY}/draft/").content.decode()
    assert "UI step</span>" in page and "enters it in Supplier portal (browser): 13 actions, guard" in page
    assert "+ Add a UI step (browser)" in page and "3 attempts" in page
    pages = ("versions/1/", "versions/1/sop/", "versions/draft/", "tester/?run=1&amount=700", "impact/", "diff/")
    for url in [*(f"/builder/{KEY}/{page}" for page in pages), f"{ROW}?index=new&type=ui", f"/builder/{KEY}/export/"]:
        assert signed_in("olivia").get(url).status_code == 200, url


def test_the_form_shows_one_row_per_action_and_the_guard(signed_in, ui_draft):
    form = signed_in("olivia").get(f"{ROW}?index=1", **HX).content.decode()
    assert form.startswith('<tr id="row-steps--1" class="editing">')
    assert form.count('<tr class="script-row') == 13 + 7
    assert 'name="script-0-url" value="{{endpoint.SUPPLIER_PORTAL}}/login/"' in form
    assert 'name="script-6-selector" value="#po-number"' in form
    assert 'name="script-4-login" checked' in form  # the expect_text that means "login refused"
    assert '<option value="supplier_order_number" selected>' in form  # extract's field is a select of fields
    assert 'name="guard_found" id="row-steps--1-guard_found" value="td.po-number"' in form
    assert "supplier_order_number = td.order-number" in form
    assert 'name="ui_op" value="add:script"' in form and 'name="ui_op" value="remove:guard:0"' in form


def test_saving_the_form_unchanged_keeps_the_step_exactly(signed_in, ui_draft):
    values = ui_form_values(UI_STEP)
    response = signed_in("olivia").post(ROW, form_post(values), **HX)
    assert response.status_code == 200 and response["HX-Retarget"] == "#editor"
    assert spec_of(ui_draft)["stages"][1] == UI_STEP


def test_add_a_ui_step_from_rows(signed_in, ui_draft):
    data = {
        "index": "new",
        "type": "ui",
        "key": "check_portal",
        "name": "",
        "system": "Supplier portal",
        "timeout_seconds": "",
        "attempts": "2",
        "on_failure": "fail_case",
        "script-0-do": "goto",
        "script-0-url": PORTAL + "/",
        "script-1-do": "expect_text",
        "script-1-selector": "h1",
        "script-1-text": "Log in",
        "script-2-do": "click",  # a row added and left empty is dropped
        "script-2-selector": "",
        "script-3-do": "screenshot",
        "script-3-name": "portal up",
        "guard_found": "",
        "guard_extract": "",
    }
    response = signed_in("olivia").post(ROW, data, **HX)
    assert response.status_code == 200 and response["HX-Retarget"] == "#editor", response.content.decode()[:2000]
    assert spec_of(ui_draft)["stages"][-1] == {
        "key": "check_portal",
        "name": "Check portal",
        "type": "ui",
        "system": "Supplier portal",
        "retry": {"attempts": 2},
        "on_failure": "fail_case",
        "script": [
            {"do": "goto", "url": PORTAL + "/"},
            {"do": "expect_text", "selector": "h1", "text": "Log in"},
            {"do": "screenshot", "name": "portal up"},
        ],
    }
    assert validate_spec(spec_of(ui_draft)) == []


def test_problems_are_shown_at_their_row_and_nothing_is_saved(signed_in, ui_draft):
    before = copy.deepcopy(spec_of(ui_draft))
    values = ui_form_values(UI_STEP) | {
        "script-6-selector": "xpath=//input[@id='po']",
        "script-11-field": "no_such_field",
        "guard-1-do": "extract",
        "guard_found": "",
        "timeout_seconds": "500",
    }
    response = signed_in("olivia").post(ROW, form_post(values), **HX)
    form = response.content.decode()
    assert response.status_code == 200 and response["HX-Retarget"] == "#row-steps--1"
    assert "selector &#x27;xpath=//input[@id=&#x27;po&#x27;]&#x27; is not CSS" in form
    assert "extract writes unknown field &#x27;no_such_field&#x27;." in form
    assert "a guard only looks things up; use goto, fill, select, click, wait_for, expect_text." in form
    assert "guard needs found" in form
    assert "Enter seconds above 0 and at most 120 (the wait for each action)." in form
    assert form.count('class="script-row invalid"') == 3
    assert spec_of(ui_draft) == before


def test_a_secret_sent_to_a_literal_url_is_refused_for_the_whole_step(signed_in, ui_draft):
    values = ui_form_values(UI_STEP) | {"script-0-url": "https://portal.example.com/login/"}
    form = signed_in("olivia").post(ROW, form_post(values), **HX).content.decode()
    assert "a step that fills in a secret must go only to configured endpoints" in form
    assert spec_of(ui_draft)["stages"][1] == UI_STEP


def test_a_step_without_actions_is_refused(signed_in, ui_draft):
    values = {k: v for k, v in ui_form_values(UI_STEP).items() if not k.startswith("script-")}
    form = signed_in("olivia").post(ROW, form_post(values), **HX).content.decode()
    assert MSG_NO_SCRIPT in form and spec_of(ui_draft)["stages"][1] == UI_STEP


def test_rows_are_added_moved_and_removed_before_saving(signed_in, ui_draft):
    client = signed_in("olivia")
    values = ui_form_values(UI_STEP)
    added = client.post(ROW, form_post(values, ui_op="add:script"), **HX)
    assert added["HX-Retarget"] == "#row-steps--1"
    assert added.content.decode().count('<tr class="script-row') == 14 + 7
    moved = client.post(ROW, form_post(values, ui_op="up:script:11"), **HX).content.decode()
    # the extract (index 11) and the wait_for before it trade places
    assert 'name="script-10-field"' in moved and 'name="script-11-selector" value="#order-number"' in moved
    assert 'name="script-11-field"' not in moved
    removed = client.post(ROW, form_post(values, ui_op="remove:guard:0"), **HX).content.decode()
    assert removed.count('<tr class="script-row') == 13 + 6 and 'name="guard-0-selector" value="#username"' in removed
    assert spec_of(ui_draft)["stages"][1] == UI_STEP  # nothing saved by any of it


def test_changing_a_rows_action_shows_that_actions_inputs(signed_in, ui_draft):
    values = ui_form_values(UI_STEP) | {"script-3-do": "screenshot"}
    form = signed_in("olivia").post(ROW, form_post(values, ui_op="refresh:script"), **HX).content.decode()
    assert 'name="script-3-name"' in form and 'name="script-3-selector"' not in form


def test_a_plain_post_of_a_row_operation_shows_the_whole_editor(signed_in, ui_draft):
    response = signed_in("olivia").post(ROW, form_post(ui_form_values(UI_STEP), ui_op="add:guard"))
    page = response.content.decode()
    assert response.status_code == 200 and "<html" in page and page.count('<tr class="script-row') == 13 + 8


def test_the_form_operations_themselves():
    values = {"key": "k", "script-0-do": "goto", "script-0-url": "a", "script-1-do": "click", "script-1-selector": "b"}
    assert script_of(ui_form_op(values, "down:script:0")) == [("click", "b"), ("goto", "a")]
    assert script_of(ui_form_op(values, "down:script:1")) == [("goto", "a"), ("click", "b")]  # already last
    assert script_of(ui_form_op(values, "remove:script:0")) == [("click", "b")]
    assert ui_form_op(values, "add:guard")["guard-0-do"] == "goto"  # a guard starts on a page too
    assert ui_form_op(values, "add:script")["script-2-do"] == "click"
    assert ui_form_op(values, "explode:script:0") == values and ui_form_op(values, "")["key"] == "k"


def script_of(values):
    rows = sorted((int(k.split("-")[1]), v) for k, v in values.items() if k.startswith("script-") and k.endswith("-do"))
    return [(do, values.get(f"script-{n}-url") or values.get(f"script-{n}-selector")) for n, do in rows]


def test_the_walkthroughs_fix_is_one_selector_changed_in_the_invoice_templates_rows(signed_in, demo):
    """README "Ask to see an integration fail: the UI layer", step 4, on the template's own step."""
    draft = draft_create_from(version=version_live(key="invoice-processing"), actor=demo["olivia"])
    stages = spec_of(draft)["stages"]
    index = next(i for i, s in enumerate(stages) if s.get("type") == "ui")
    step = stages[index]
    values = ui_form_values(step)
    row = next(k for k, v in values.items() if v == "#po-number" and k.startswith("script-"))
    client = signed_in("olivia")
    form = client.get(f"/builder/invoice-processing/draft/rows/steps/?index={index}", **HX).content.decode()
    assert f'name="{row}" value="#po-number"' in form
    saved = client.post(
        "/builder/invoice-processing/draft/rows/steps/", {"index": str(index), **values, row: "#purchase-order"}, **HX
    )
    assert saved["HX-Retarget"] == "#editor", saved.content.decode()[:1500]
    fixed = copy.deepcopy(step)
    fixed["script"][int(row.split("-")[1])]["selector"] = "#purchase-order"
    assert spec_of(draft)["stages"][index] == fixed  # its condition, guard and the rest as they were
    assert validate_spec(spec_of(draft)) == []
