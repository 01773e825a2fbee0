"""The "ui" step's script language, as publishing checks it: problems name the stage and the
action (counted from 1), and a script that could leak a secret or run code is refused."""

import pytest

from apps.definitions.accessors import Spec
from apps.definitions.spec import validate_spec

FIELDS = [
    {"name": "po_number", "type": "text", "label": "PO number", "required": True},
    {"name": "amount", "type": "decimal", "label": "Amount", "required": True},
    {"name": "supplier_order", "type": "text", "label": "Supplier order"},
]
APPROVAL = {"key": "approval", "name": "Approval", "approvers": [{"key": "m", "type": "manager"}]}


def ui_step(**overrides):
    step = {
        "key": "enter_order",
        "name": "Enter the order",
        "type": "ui",
        "system": "Supplier portal",
        "guard": {
            "script": [
                {"do": "goto", "url": "{{endpoint.PORTAL}}/orders/?q={{field.po_number}}"},
                {"do": "wait_for", "selector": "#results"},
            ],
            "found": 'td.po-number:text-is("{{field.po_number}}")',
            "extract": {"supplier_order": "td.so-number"},
        },
        "script": [
            {"do": "goto", "url": "{{endpoint.PORTAL}}/login/"},
            {"do": "fill", "selector": "#username", "value": "{{secret.PORTAL_USER}}"},
            {"do": "fill", "selector": "#password", "value": "{{secret.PORTAL_PASSWORD}}"},
            {"do": "click", "selector": "button[type=submit]"},
            {"do": "expect_text", "selector": "h1", "text": "Orders", "login": True},
            {"do": "select", "selector": "#currency", "value": "EUR"},
            {"do": "extract", "selector": "#order-number", "field": "supplier_order"},
            {"do": "screenshot", "name": "order entered"},
        ],
    }
    step.update(overrides)
    return step


def problems(step):
    return validate_spec({"fields": FIELDS, "stages": [step, APPROVAL]})


def with_action(index, action, **overrides):
    step = ui_step(**overrides)
    step["script"] = [*step["script"]]
    step["script"][index - 1] = action
    return step


def test_a_valid_ui_step_publishes_and_reads_back():
    assert problems(ui_step()) == []
    stage = Spec({"fields": FIELDS, "stages": [ui_step(), APPROVAL]}).stage("enter_order")
    assert stage.is_step and stage.is_ui and stage.has_guard
    assert stage.timeout_seconds == 15  # the UI default: a wait per action
    assert stage.extract_map == {"supplier_order": "#order-number"}
    assert stage.guard.extract == {"supplier_order": "td.so-number"}
    assert not stage.has_undo


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (with_action(2, {"do": "type", "selector": "#x"}), "Stage 'enter_order', action 2: 'do' must be one of"),
        (with_action(4, {"do": "click"}), "Stage 'enter_order', action 4 (click): click needs selector."),
        (
            with_action(4, {"do": "click", "selector": "#go", "js": "alert(1)"}),
            "Stage 'enter_order', action 4 (click): click has no 'js'.",
        ),
        (
            with_action(4, {"do": "click", "selector": "xpath=//button"}),
            "Stage 'enter_order', action 4 (click): selector 'xpath=//button' is not CSS",
        ),
        (
            with_action(4, {"do": "click", "selector": "button[type=submit"}),
            "Stage 'enter_order', action 4 (click): selector 'button[type=submit' has unbalanced brackets or quotes.",
        ),
        (
            with_action(7, {"do": "extract", "selector": "#n", "field": "nope"}),
            "Stage 'enter_order', action 7 (extract): extract writes unknown field 'nope'.",
        ),
        (
            with_action(6, {"do": "select", "selector": "#c", "value": "{{field.currency}}"}),
            "Stage 'enter_order', action 6 (select): unknown field 'currency' in {{field.currency}}.",
        ),
        (
            with_action(6, {"do": "select", "selector": "#c", "value": "{{secret.PORTAL_PASSWORD}}"}),
            "Stage 'enter_order', action 6 (select): a secret may only be the value of a fill.",
        ),
        (
            with_action(5, {"do": "expect_text", "selector": "h1", "text": "{{secret.PORTAL_USER}}"}),
            "Stage 'enter_order', action 5 (expect_text): a secret may only be the value of a fill.",
        ),
        (
            with_action(5, {"do": "expect_text", "selector": "h1", "text": "Orders", "login": "yes"}),
            "Stage 'enter_order', action 5 (expect_text): login is true or false.",
        ),
        (
            with_action(8, {"do": "screenshot", "name": "{{field.po_number}}"}),
            "Stage 'enter_order', action 8 (screenshot): a screenshot's name is plain text",
        ),
        (
            with_action(1, {"do": "goto", "url": "ftp://portal/login"}),
            "Stage 'enter_order', action 1 (goto): the URL must start with http://, https:// or {{endpoint.NAME}}.",
        ),
        (ui_step(script=[]), "Stage 'enter_order': script must be a list of 1 to 40 actions."),
        (ui_step(timeout_seconds=121), "Stage 'enter_order': timeout_seconds must be above 0 and at most 120"),
        (ui_step(retry={"attempts": 3, "retry_on": [500]}), "Stage 'enter_order': retry_on is for HTTP steps"),
        (ui_step(on_failure="ignore"), "Stage 'enter_order': on_failure must be one of"),
        (ui_step(system=""), "Stage 'enter_order': name the system it talks to"),
    ],
)
def test_each_problem_names_the_stage_and_the_action(step, expected):
    found = problems(step)
    assert any(p.startswith(expected) for p in found), found


def test_a_secret_goes_only_to_configured_endpoints():
    step = with_action(1, {"do": "goto", "url": "https://portal.example.com/login/"})
    assert any("a step that fills in a secret must go only to configured endpoints" in p for p in problems(step))
    # Without a secret, a public address is fine; a private one never is.
    public = ui_step(script=[{"do": "goto", "url": "https://portal.example.com/"}], guard=None)
    assert problems({**public}) == []
    metadata = ui_step(script=[{"do": "goto", "url": "http://169.254.169.254/latest/"}], guard=None)
    assert any("Configure it as {{endpoint.NAME}}" in p for p in problems(metadata))


def test_a_guard_only_looks_things_up_and_needs_found():
    guard = {
        "script": [
            {"do": "goto", "url": "{{endpoint.PORTAL}}/"},
            {"do": "extract", "selector": "#n", "field": "po_number"},
        ]
    }
    found = problems(ui_step(guard=guard))
    assert (
        "Stage 'enter_order', guard action 2 (extract): a guard only looks things up; use goto, fill, select, click, wait_for, expect_text."
        in found
    )
    assert any(p.startswith("Stage 'enter_order': guard needs found") for p in found)
    assert any(
        "guard action 1" in p and "first action must be a goto" in p
        for p in problems(ui_step(guard={"script": [{"do": "click", "selector": "#x"}], "found": "#y"}))
    )


def test_without_a_guard_the_script_starts_with_a_goto():
    step = ui_step(guard=None)
    step["script"] = step["script"][1:]
    assert (
        "Stage 'enter_order', action 1: the first action must be a goto (each run starts on an empty page)."
        in problems(step)
    )
