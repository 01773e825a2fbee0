"""Publishing validates the whole spec and names every problem."""

import copy

import pytest

from apps.core.errors import ValidationFailed
from apps.definitions.library import PURCHASE_APPROVAL
from apps.definitions.services import definition_create, version_publish
from apps.definitions.spec import validate_spec


def spec():
    return copy.deepcopy(PURCHASE_APPROVAL["spec"])


def test_the_purchase_template_is_valid():
    assert validate_spec(spec()) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda s: s["stages"][0]["approvers"][1]["when"]["all"][0].update(field="amount_eur"),
            "unknown field 'amount_eur'",
        ),
        (lambda s: s["stages"][0]["approvers"][1]["when"]["all"][0].update(op="~="), "unknown operator '~='"),
        (
            lambda s: s["stages"][0]["approvers"][1]["when"]["all"][0].update(value="lots"),
            "value 'lots' does not fit field 'amount' (decimal)",
        ),
        (
            lambda s: s["stages"][0]["approvers"][2]["when"]["all"][0].update(value="extreme"),
            "value 'extreme' does not fit field 'vendor_risk'",
        ),
        (
            lambda s: s["stages"][0]["approvers"][2]["when"]["all"][0].update(op=">"),
            "'>' compares numbers or dates, but 'vendor_risk' is choice",
        ),
        (lambda s: s["stages"][0].update(approvers=[]), "the approver set is empty"),
        (lambda s: s["stages"][0].update(policy="n_of_m", n=4), "N (4) is larger than M"),
        (lambda s: s["stages"][0].update(policy="most"), "policy 'most' is not one of"),
        (lambda s: s["stages"][0]["approvers"][1].pop("role"), "name the role that approves"),
        (lambda s: s["fields"][3].update(required_before="payment"), "required before unknown stage 'payment'"),
        (lambda s: s["fields"].append({"name": "amount", "type": "text"}), "the name is used twice"),
        (lambda s: s["fields"].append({"name": "Bad Name", "type": "text"}), "must be lower-case"),
        (lambda s: s["fields"].append({"name": "x", "type": "money"}), "type 'money' is not one of"),
        (lambda s: s["fields"][2].update(default="extreme"), "default 'extreme' is not valid"),
        (lambda s: s.update(stages=[]), "Add at least one approval stage"),
    ],
)
def test_each_problem_is_named(change, problem):
    broken = spec()
    change(broken)
    problems = validate_spec(broken)
    assert any(problem in p for p in problems), problems


def test_publishing_an_invalid_draft_lists_every_problem_and_publishes_nothing(demo):
    broken = spec()
    broken["stages"][0]["approvers"][1]["role"] = "treasury"
    broken["stages"][0]["approvers"][0] = {"key": "cfo", "label": "CFO", "type": "user", "user": "nobody"}
    draft = definition_create(key="broken", name="Broken", spec=broken, actor=demo["olivia"])
    with pytest.raises(ValidationFailed) as error:
        version_publish(version=draft, actor=demo["olivia"])
    assert error.value.field_errors["spec"] == [
        "Role 'treasury' does not exist.",
        "User 'nobody' does not exist or is inactive.",
    ]
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.number is None


@pytest.mark.parametrize(
    ("sla", "problem"),
    [
        ({"approval": {"target_hours": 0}}, "target_hours must be a number of hours above 0"),
        (
            {"approval": {"target_hours": 48, "levels": [{"after_hours": -1, "action": "remind"}]}},
            "after_hours must be a number of hours, 0 or more",
        ),
        (
            {"approval": {"target_hours": 48, "levels": [{"after_hours": 1, "action": "auto_close"}]}},
            "action 'auto_close' is not one of remind, notify, escalate, reroute",
        ),
        (
            {"rework": {"target_hours": 8, "levels": [{"after_hours": 8, "action": "escalate"}]}},
            "action 'escalate' is not one of remind, notify, auto_close",
        ),
        (
            {"approval": {"target_hours": 8, "levels": [{"after_hours": 8, "action": "notify", "notify": {}}]}},
            "notify needs a role, a user, type manager, or an e-mail field",
        ),
        ({"later": {"target_hours": 8}}, "SLA 'later': use approval, rework, case or wait"),
    ],
)
def test_sla_policy_problems_are_named(sla, problem):
    broken = spec()
    broken["sla"] = sla
    assert any(problem in p for p in validate_spec(broken)), validate_spec(broken)
