"""Publish-time checks of what approvals need: step fields, requester conditions, approvers named
by a user field or a role in the requester's department, authority limits, scheduled steps."""

import pytest

from apps.core.errors import ValidationFailed
from apps.definitions.library import ACCESS_REQUEST
from apps.definitions.services import definition_create, version_publish
from apps.definitions.spec import validate_spec

FIELDS = [
    {"name": "amount", "type": "decimal", "label": "Amount", "required": True},
    {"name": "gl_code", "type": "text", "label": "GL code"},
    {"name": "owner", "type": "user", "label": "Owner"},
    {"name": "ends", "type": "date", "label": "Ends"},
]


def spec(approvers, *, fields=None, **extra):
    return {
        "fields": fields or FIELDS,
        "stages": [{"key": "approval", "name": "Approval", "approvers": approvers}],
        **extra,
    }


def test_the_access_request_template_is_valid():
    assert validate_spec(ACCESS_REQUEST["spec"]) == []


@pytest.mark.parametrize(
    ("approver", "extra", "problem"),
    [
        (
            {"key": "f", "type": "role", "role": "finance", "fields": ["gl_kode"]},
            {},
            "Stage 'approval', approver 1: the approver fills in unknown field 'gl_kode'.",
        ),
        (
            {"key": "f", "type": "role", "role": "finance", "fields": "gl_code"},
            {},
            "Stage 'approval', approver 1: fields must list the names of fields the approver fills in.",
        ),
        (
            {"key": "o", "type": "user_field", "field": "gl_code"},
            {},
            "Stage 'approval', approver 1: name the user field that holds the approver (field).",
        ),
        (
            {"key": "d", "type": "department_role"},
            {},
            "Stage 'approval', approver 1: name the role that approves within the requester's department.",
        ),
        (
            {"key": "m", "type": "role", "role": "finance", "authority": True},
            {"authority": {"field": "amount", "default_up_to": 10000}},
            "Stage 'approval', approver 1: authority limits climb the manager chain; use them on a manager approver.",
        ),
        (
            {"key": "m", "type": "manager", "authority": True},
            {},
            "Stage 'approval', approver 1: uses authority limits, but the workflow declares none (authority).",
        ),
        (
            {"key": "m", "type": "manager", "authority": True},
            {"authority": {"field": "gl_code", "limits": [{"role": "finance", "up_to": "lots"}]}},
            "authority: field must name the number field the limits compare (e.g. amount).",
        ),
        (
            {"key": "m", "type": "manager", "authority": True},
            {"authority": {"field": "amount", "limits": [{"role": "finance", "up_to": "lots"}]}},
            "authority, limit 1: up_to must be a number, 0 or more.",
        ),
        (
            {"key": "m", "type": "manager", "authority": True},
            {"authority": {"field": "amount", "limits": [{"role": "finance", "user": "bob", "up_to": 5}]}},
            "authority, limit 1: name either a role or a user.",
        ),
        (
            {"key": "m", "type": "manager", "when": {"requester": "shoe_size", "op": "=", "value": "44"}},
            {},
            "Stage 'approval', approver 1, condition: the requester has no attribute 'shoe_size' "
            "(use one of department, location, cost_center, cost_center_owner).",
        ),
        (
            {"key": "m", "type": "manager", "when": {"requester": "department", "op": ">", "value": "A"}},
            {},
            "Stage 'approval', approver 1, condition: '>' compares numbers or dates; the requester's department is text.",
        ),
        (
            {"key": "m", "type": "manager", "when": {"requester": "cost_center_owner", "op": "=", "value": "yes"}},
            {},
            "Stage 'approval', approver 1, condition: value 'yes' does not fit the requester's cost_center_owner"
            " (boolean).",
        ),
    ],
)
def test_publish_time_problems_name_the_place_and_the_fix(approver, extra, problem):
    assert problem in validate_spec(spec([approver], **extra))


def test_a_step_field_cannot_also_be_required_from_the_requester():
    fields = [*FIELDS[:1], {"name": "gl_code", "type": "text", "required": True}]
    problems = validate_spec(
        spec([{"key": "f", "type": "role", "role": "finance", "fields": ["gl_code"]}], fields=fields)
    )
    assert (
        "Field 'gl_code': filled in by an approver at a step, so it cannot be required from the requester." in problems
    )


def test_not_requester_belongs_on_a_user_field():
    fields = [*FIELDS, {"name": "vendor", "type": "text", "not_requester": True}]
    problems = validate_spec(spec([{"key": "m", "type": "manager"}], fields=fields))
    assert "Field 'vendor': not_requester is true or false, and only on a user field." in problems


def test_a_scheduled_step_names_a_date_field():
    stages = [
        {
            "key": "call",
            "name": "Call",
            "type": "http",
            "system": "IAM",
            "not_before": "amount",
            "request": {"method": "POST", "url": "{{endpoint.ERP}}/x"},
        },
        {"key": "approval", "name": "Approval", "approvers": [{"key": "m", "type": "manager"}]},
    ]
    problems = validate_spec({"fields": FIELDS, "stages": stages})
    assert "Stage 'call': not_before must name a date field (the day the call is made)." in problems
    stages[0]["not_before"] = "ends"
    assert validate_spec({"fields": FIELDS, "stages": stages}) == []


def test_a_valid_spec_with_every_new_piece_passes():
    approvers = [
        {
            "key": "m",
            "type": "manager",
            "authority": True,
            "when": {"requester": "location", "op": "=", "value": "Berlin"},
        },
        {"key": "o", "type": "user_field", "field": "owner"},
        {"key": "d", "type": "department_role", "role": "finance", "fields": ["gl_code"]},
        {
            "key": "c",
            "type": "role",
            "role": "legal",
            "when": {"requester": "cost_center_owner", "op": "=", "value": True},
        },
    ]
    authority = {"field": "amount", "default_up_to": 10000, "limits": [{"user": "carol", "up_to": 50000}]}
    assert validate_spec(spec(approvers, authority=authority)) == []


def test_publishing_refuses_a_spec_with_these_problems(demo):
    draft = definition_create(
        key="bad-approvals",
        name="Bad approvals",
        spec=spec([{"key": "o", "type": "user_field", "field": "amount"}]),
        actor=demo["olivia"],
    )
    with pytest.raises(ValidationFailed) as refused:
        version_publish(version=draft, actor=demo["olivia"])
    assert refused.value.field_errors["spec"] == [
        "Stage 'approval', approver 1: name the user field that holds the approver (field)."
    ]
