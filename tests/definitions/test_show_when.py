"""Conditional fields: a field's `show_when` (the routing condition language over fields listed
before it) decides whether the field is asked. Checked at publish, at intake (service and API) and
in the generated start form."""

import copy

import pytest

from apps.cases.services import case_start
from apps.core.errors import ValidationFailed
from apps.definitions.accessors import Spec
from apps.definitions.fields import MSG_NOT_SHOWN, MSG_REQUIRED, clean_data
from apps.definitions.library import HR_REQUEST
from apps.definitions.spec import validate_spec

TYPE = {"name": "kind", "type": "choice", "label": "Kind", "choices": ["leave", "payroll"], "required": True}
START = {
    "name": "first_day",
    "type": "date",
    "label": "First day",
    "required": True,
    "show_when": {"field": "kind", "op": "=", "value": "leave"},
}
STAGES = [{"key": "hr", "name": "HR", "approvers": [{"key": "hr", "type": "role", "role": "hr"}]}]


def spec(*fields):
    return {"fields": list(fields), "stages": STAGES}


def test_a_valid_show_when_publishes():
    assert validate_spec(spec(TYPE, START)) == []
    assert validate_spec(HR_REQUEST["spec"]) == []


@pytest.mark.parametrize(
    ("field", "problem"),
    [
        (
            {**START, "show_when": {"field": "later", "op": "=", "value": "x"}},
            "Field 'first_day': shown only when a condition holds on 'later', which is not a field listed before it.",
        ),
        (
            {**START, "show_when": {"field": "first_day", "op": "is empty"}},
            "Field 'first_day': shown only when a condition holds on 'first_day', which is not a field listed before it.",
        ),
        (
            {**START, "show_when": {"field": "kind", "op": "~", "value": "leave"}},
            "Field 'first_day', shown when: unknown operator '~'",
        ),
        (
            {**START, "show_when": {"field": "kind", "op": "=", "value": "holiday"}},
            "Field 'first_day', shown when: value 'holiday' does not fit field 'kind' (choice).",
        ),
        ({**START, "show_when": {"all": []}}, "Field 'first_day', shown when: a group needs exactly one"),
        (
            {**START, "required": False, "required_before": "hr"},
            "Field 'first_day': a field shown only when a condition holds cannot be required before a stage.",
        ),
    ],
)
def test_publishing_names_what_is_wrong_with_a_show_when(field, problem):
    later = {"name": "later", "type": "text", "label": "Later"}
    problems = validate_spec(spec(TYPE, field, later))
    assert any(p.startswith(problem) for p in problems), problems


FIELDS = [TYPE, START, {"name": "note", "type": "text", "label": "Note"}]


def test_a_shown_field_is_required_and_a_hidden_one_is_not():
    with pytest.raises(ValidationFailed) as invalid:
        clean_data(FIELDS, {"kind": "leave"})
    assert invalid.value.field_errors == {"first_day": [MSG_REQUIRED]}
    assert clean_data(FIELDS, {"kind": "payroll"}) == {"kind": "payroll"}
    assert clean_data(FIELDS, {"kind": "leave", "first_day": "2026-12-21"}) == {
        "kind": "leave",
        "first_day": "2026-12-21",
    }


def test_a_value_for_a_hidden_field_is_refused_naming_the_condition():
    with pytest.raises(ValidationFailed) as invalid:
        clean_data(FIELDS, {"kind": "payroll", "first_day": "2026-12-21"})
    assert invalid.value.field_errors == {"first_day": [MSG_NOT_SHOWN.format(condition="Kind = leave")]}
    assert invalid.value.field_errors["first_day"] == ["This field applies only when Kind = leave; leave it empty."]


def test_changing_the_type_on_resubmission_drops_what_no_longer_applies():
    base = {"kind": "leave", "first_day": "2026-12-21"}
    assert clean_data(FIELDS, {"kind": "payroll"}, base=base, intake=False) == {"kind": "payroll"}


def test_shown_fields_follow_the_values():
    typed = Spec(spec(*FIELDS))
    assert [f.name for f in typed.shown_fields({"kind": "leave"})] == ["kind", "first_day", "note"]
    assert [f.name for f in typed.shown_fields({"kind": "payroll"})] == ["kind", "note"]
    assert typed.controlling_fields == frozenset({"kind"})


def test_the_api_refuses_a_hidden_field_and_asks_for_a_shown_one(demo, client):
    client.force_login(demo["alice"])
    hidden = client.post(
        "/api/v1/cases/",
        {
            "workflow": "hr-request",
            "data": {
                "request_type": "payroll",
                "pay_period": "2026-11",
                "pay_issue": "tax",
                "leave_start": "2026-12-21",
            },
        },
        content_type="application/json",
    )
    assert hidden.status_code == 400
    assert hidden.json()["errors"] == {
        "leave_start": ["This field applies only when Request type = leave; leave it empty."]
    }
    missing = client.post(
        "/api/v1/cases/",
        {"workflow": "hr-request", "data": {"request_type": "leave", "leave_type": "annual"}},
        content_type="application/json",
    )
    assert missing.status_code == 400
    assert missing.json()["errors"] == {"leave_start": [MSG_REQUIRED], "leave_end": [MSG_REQUIRED]}


def test_the_start_form_asks_only_what_the_request_type_needs(demo, client):
    from apps.cases.models import Case

    client.force_login(demo["alice"])
    page = client.get("/requests/new/hr-request/").content.decode()
    assert 'name="leave_start"' in page and 'name="pay_period"' not in page
    # The request type refreshes the fields (htmx) on change.
    assert 'hx-post="/requests/new/hr-request/?refresh=1"' in page
    refreshed = client.post(
        "/requests/new/hr-request/?refresh=1", {"request_type": "payroll", "details": "kept"}, HTTP_HX_REQUEST="true"
    )
    assert refreshed.status_code == 200
    html = refreshed.content.decode()
    assert 'name="pay_period"' in html and 'name="pay_issue"' in html and 'name="leave_start"' not in html
    assert "kept" in html and "This field is required." not in html
    assert not Case.objects.exists()  # a refresh starts nothing


def test_the_start_form_leaves_out_what_was_typed_into_a_field_that_no_longer_applies(demo, client):
    client.force_login(demo["alice"])
    response = client.post(
        "/requests/new/hr-request/",
        {"request_type": "payroll", "pay_period": "2026-11", "pay_issue": "tax", "leave_start": "2026-12-21"},
    )
    assert response.status_code == 302
    case = case_of(response)
    assert case.data == {"request_type": "payroll", "pay_period": "2026-11", "pay_issue": "tax"}


def case_of(response):
    from apps.cases.models import Case

    return Case.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def test_a_builder_edit_keeps_the_show_when_and_a_rename_follows_it():
    from apps.definitions.editing import row_save

    raw = copy.deepcopy(spec(*FIELDS))
    edited = row_save(
        raw, section="fields", values={"name": "first_day", "type": "date", "label": "Start", "required": "on"}, index=1
    )
    assert edited["fields"][1]["show_when"] == START["show_when"]
    kind = {"name": "category", "type": "choice", "label": "Kind", "choices": "leave, payroll", "required": "on"}
    renamed = row_save(edited, section="fields", values=kind, index=0)
    assert renamed["fields"][1]["show_when"] == {"field": "category", "op": "=", "value": "leave"}


def test_case_start_honours_show_when(demo):
    case, _ = case_start(
        workflow="hr-request",
        data={"request_type": "reference_letter", "letter_purpose": "Landlord"},
        actor=demo["alice"],
    )
    assert case.data == {"request_type": "reference_letter", "letter_purpose": "Landlord"}


def test_a_field_another_field_is_shown_by_cannot_be_removed_in_the_builder():
    from apps.definitions.editing import row_remove

    with pytest.raises(ValidationFailed):
        row_remove(copy.deepcopy(spec(*FIELDS)), section="fields", index=0)
    assert [f["name"] for f in row_remove(copy.deepcopy(spec(*FIELDS)), section="fields", index=1)["fields"]] == [
        "kind",
        "note",
    ]


def test_the_procedure_says_when_a_field_is_asked(demo):
    from apps.definitions.selectors import version_live
    from apps.definitions.sop import sop_build

    fields = {f["name"]: f["rules"] for f in sop_build(version=version_live(key="hr-request"))["fields"]}
    assert fields["leave_start"] == "asked only when Request type = leave; required"
    assert fields["details"] == "optional"
