"""The UI step runner (apps.integrations.ui) against a small portal served in the test: every
action, every failure category, redaction of secrets, and the guard. Debian's Chromium, one
browser for the session (the `ui_runner` fixture skips without it, fails with CI=true)."""

import pytest
from django.test import override_settings

from apps.definitions.accessors import Field, Stage
from apps.integrations.calls import RequestProblem
from apps.integrations.models import ExceptionCategory
from apps.integrations.ui import ui_build, ui_judge, ui_run
from tests.integrations.ui_portal import PASSWORD, USER

pytestmark = pytest.mark.usefixtures("ui_runner")

LOGIN = [
    {"do": "goto", "url": "{{endpoint.PORTAL}}/login/"},
    {"do": "fill", "selector": "#username", "value": "{{secret.PORTAL_USER}}"},
    {"do": "fill", "selector": "#password", "value": "{{secret.PORTAL_PASSWORD}}"},
    {"do": "click", "selector": "button[type=submit]"},
    {"do": "expect_text", "selector": "h1", "text": "Orders", "login": True},
]
ENTER = [
    {"do": "goto", "url": "{{endpoint.PORTAL}}/orders/new/"},
    {"do": "fill", "selector": "#po-number", "value": "{{field.po_number}}"},
    {"do": "fill", "selector": "#amount", "value": "{{field.amount}}"},
    {"do": "select", "selector": "#currency", "value": "US dollar"},
    {"do": "click", "selector": "#save"},
    {"do": "wait_for", "selector": "#order-number"},
    {"do": "expect_text", "selector": "h1", "text": "Order saved"},
    {"do": "extract", "selector": "#order-number", "field": "supplier_order"},
    {"do": "screenshot", "name": "order entered"},
]
GUARD = {
    "script": [
        *LOGIN[:4],
        {"do": "fill", "selector": "#search", "value": "{{field.po_number}}"},
        {"do": "click", "selector": "#search-go"},
        {"do": "wait_for", "selector": "#results"},
    ],
    "found": 'td.po-number:text-is("{{field.po_number}}")',
    "extract": {"supplier_order": "td.so-number"},
}
FIELDS = (
    Field.of({"name": "po_number", "type": "text"}),
    Field.of({"name": "amount", "type": "decimal"}),
    Field.of({"name": "supplier_order", "type": "text"}),
)
DATA = {"po_number": "PO-4711", "amount": "120.50"}


@pytest.fixture
def portal(ui_portal):
    with override_settings(
        WMS_ENDPOINTS={"PORTAL": ui_portal.url}, WMS_SECRETS={"PORTAL_USER": USER, "PORTAL_PASSWORD": PASSWORD}
    ):
        yield ui_portal


def run(script, *, guard=None, data=None, timeout=3):
    stage = Stage.of(
        {"key": "enter", "type": "ui", "system": "Portal", "timeout_seconds": timeout, "script": script, "guard": guard}
    )
    built = ui_build(
        stage=stage, data=data or DATA, case_id=7, workflow="purchase", version=1, idempotency_key="k", system="Portal"
    )
    return built, ui_run(built)


def test_every_action_enters_the_order_and_reads_its_number(portal):
    built, result = run([*LOGIN, *ENTER])
    assert (result.outcome, result.category) == ("succeeded", "")
    assert portal.orders == [{"po": "PO-4711", "amount": "120.50", "currency": "USD", "note": "", "so": "SO-000001"}]
    assert result.extracted == {"supplier_order": "SO-000001"}
    assert [s.name for s in result.screenshots] == ["order entered"]
    assert result.screenshots[0].png.startswith(b"\x89PNG") and result.screenshots[0].title == "Order saved"
    assert ui_judge(result, fields=FIELDS, system="Portal").mapped == {"supplier_order": "SO-000001"}
    # The record of the script shows where secrets went, never their values.
    recorded = str(built.record)
    assert USER not in recorded and PASSWORD not in recorded and "'value': '***'" in recorded


def test_the_guard_finds_the_work_done_and_nothing_is_entered_again(portal):
    _, first = run([*LOGIN, *ENTER], guard=GUARD)
    assert (first.outcome, first.guard_found) == ("succeeded", False), first.message
    assert len(portal.orders) == 1  # the guard did not find it: entered once
    _, again = run([*LOGIN, *ENTER], guard=GUARD)
    assert (again.outcome, again.guard_found) == ("succeeded", True)
    assert again.extracted == {"supplier_order": "SO-000001"}
    assert len(portal.orders) == 1
    _, other = run([*LOGIN, *ENTER], guard=GUARD, data={**DATA, "po_number": 'PO-"4712"'})
    assert (other.outcome, other.guard_found) == ("succeeded", False)  # a quote in the value stays a value
    assert [o["po"] for o in portal.orders] == ["PO-4711", 'PO-"4712"']


def test_a_renamed_field_is_page_changed_with_a_screenshot_and_no_retry(portal):
    portal.mode = "changed"
    _, result = run([*LOGIN, *ENTER])
    assert (result.outcome, result.category) == ("failed", ExceptionCategory.PAGE_CHANGED)
    assert result.message.startswith("Action 7 (fill): '#po-number' was not found on ")
    assert result.url == f"{portal.url}/orders/new/" and result.title == "New order"
    assert [(s.name, s.failure) for s in result.screenshots] == [("failure", True)]
    assert portal.orders == []


def test_a_refused_login_and_a_missing_text_have_their_own_categories(portal):
    wrong = [LOGIN[0], LOGIN[1], {"do": "fill", "selector": "#password", "value": "nope"}, *LOGIN[3:]]
    _, refused = run(wrong)
    assert refused.category == ExceptionCategory.LOGIN_REFUSED and refused.outcome == "failed"
    assert "the login was refused: expected 'Orders' in 'h1'" in refused.message and "'Login failed'" in refused.message
    _, absent = run([*LOGIN, {"do": "expect_text", "selector": "h1", "text": "Invoices"}])
    assert absent.category == ExceptionCategory.TEXT_ABSENT and absent.outcome == "failed"


def test_a_guard_that_checks_its_sign_in_reports_a_refused_login_as_such(portal):
    # The guard runs first: with its login check a wrong password is "login refused" there, and
    # nothing is entered; without it the guard would stop at its next missing element.
    checked = {**GUARD, "script": [*LOGIN, *GUARD["script"][4:]]}
    with override_settings(WMS_SECRETS={"PORTAL_USER": USER, "PORTAL_PASSWORD": "nope"}):
        _, refused = run([*LOGIN, *ENTER], guard=checked)
        _, unchecked = run([*LOGIN, *ENTER], guard=GUARD)
    assert (refused.outcome, refused.category) == ("failed", ExceptionCategory.LOGIN_REFUSED)
    assert refused.message.startswith("Guard action 5 (expect_text): the login was refused")
    assert unchecked.category == ExceptionCategory.PAGE_CHANGED
    assert portal.orders == []
    _, entered = run([*LOGIN, *ENTER], guard=checked)  # the right password: the guard looks, then the order goes in
    assert (entered.outcome, entered.guard_found) == ("succeeded", False), entered.message
    assert len(portal.orders) == 1


def test_secrets_are_redacted_from_messages_titles_and_screenshot_metadata(portal):
    # The failed-login page echoes the user name (a secret) in its text and title.
    script = [
        LOGIN[0],
        LOGIN[1],
        {"do": "fill", "selector": "#password", "value": "nope"},
        LOGIN[3],
        {"do": "expect_text", "selector": "#who", "text": "Welcome"},
    ]
    _, result = run(script)
    assert result.category == ExceptionCategory.TEXT_ABSENT
    assert USER not in result.message and "Unknown user ***" in result.message
    assert result.title == "Login failed for ***" and result.screenshots[0].title == "Login failed for ***"
    assert USER not in str(result.as_record())


def test_a_slow_page_times_out_and_is_retried(portal):
    portal.mode, portal.delay = "slow", 4
    _, result = run(LOGIN, timeout=1)
    assert (result.outcome, result.category) == ("retry", ExceptionCategory.TIMEOUT)
    assert result.message == f"Action 1 (goto): {portal.url}/login/ did not load within 1 s."


def test_a_page_that_answers_500_or_does_not_answer_is_unavailable_and_retried(portal):
    _, broken = run([{"do": "goto", "url": "{{endpoint.PORTAL}}/broken/"}])
    assert (broken.outcome, broken.category) == ("retry", ExceptionCategory.UNAVAILABLE)
    assert broken.message == f"Action 1 (goto): {portal.url}/broken/ answered 500."
    with override_settings(WMS_ENDPOINTS={"PORTAL": "http://127.0.0.1:9"}):
        _, down = run([{"do": "goto", "url": "{{endpoint.PORTAL}}/login/"}])
    assert (down.outcome, down.category) == ("retry", ExceptionCategory.UNAVAILABLE)
    assert "could not be loaded (" in down.message


def test_a_moved_page_is_page_changed(portal):
    _, result = run([*LOGIN, {"do": "goto", "url": "{{endpoint.PORTAL}}/orders/old-form/"}])
    assert (result.outcome, result.category) == ("failed", ExceptionCategory.PAGE_CHANGED)


def test_missing_data_and_unknown_secrets_stop_before_the_browser_opens(portal):
    with pytest.raises(RequestProblem) as empty:
        run(ENTER, data={"po_number": "", "amount": "1"})
    assert empty.value.category == ExceptionCategory.MISSING_DATA
    with override_settings(WMS_SECRETS={}), pytest.raises(RequestProblem) as unknown:
        run(LOGIN)
    assert unknown.value.category == ExceptionCategory.CONFIGURATION


def test_an_extracted_value_that_does_not_fit_its_field_is_bad_data(portal):
    _, result = run([*LOGIN, {"do": "extract", "selector": "h1", "field": "amount"}])
    verdict = ui_judge(result, fields=FIELDS, system="Portal")
    assert (verdict.outcome, verdict.category) == ("failed", ExceptionCategory.BAD_DATA)
    assert verdict.message.startswith("Portal's page shows 'Orders' for field 'amount', which does not fit")
