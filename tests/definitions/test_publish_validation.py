"""Publishing validates the whole draft and lists every problem: unknown fields in rules, unreachable
stages, empty approver sets, N larger than M, type mismatches (and the rest of the spec rules)."""

import copy

import pytest

from apps.core.errors import ValidationFailed
from apps.definitions.library import PURCHASE_APPROVAL
from apps.definitions.reachability import MSG_APPROVER_UNREACHABLE, MSG_STAGE_NO_APPROVER, MSG_STAGE_UNREACHABLE
from apps.definitions.services import draft_update, version_publish
from apps.definitions.spec import validate_spec


def spec():
    return copy.deepcopy(PURCHASE_APPROVAL["spec"])


def finance(s):
    return s["stages"][0]["approvers"][1]


def cfo_stage(when, approvers=None):
    return {
        "key": "cfo",
        "name": "CFO",
        "when": when,
        "approvers": [{"key": "cfo", "type": "user", "user": "carol"}] if approvers is None else approvers,
    }


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda s: finance(s)["when"]["all"][0].update(field="amount_eur"), "unknown field 'amount_eur'"),
        (lambda s: s["stages"].append(cfo_stage({"field": "total", "op": ">", "value": 1})), "unknown field 'total'"),
        (
            lambda s: s["stages"].append(
                cfo_stage(
                    {
                        "all": [
                            {"field": "amount", "op": ">", "value": "9"},
                            {"field": "amount", "op": "<", "value": "5"},
                        ]
                    }
                )
            ),
            MSG_STAGE_UNREACHABLE.format(stage="cfo", text="amount > 9 and amount < 5"),
        ),
        (
            lambda s: s["stages"].append(cfo_stage({"field": "amount", "op": "is empty"})),
            MSG_STAGE_UNREACHABLE.format(stage="cfo", text="amount is empty"),
        ),
        (
            lambda s: s["stages"].append(
                cfo_stage(
                    {"field": "vendor_risk", "op": "in", "value": ["high"]},
                    [{"key": "a", "type": "manager", "when": {"field": "vendor_risk", "op": "=", "value": "low"}}],
                )
            ),
            MSG_STAGE_NO_APPROVER.format(stage="cfo"),
        ),
        (
            lambda s: finance(s).update(
                when={
                    "all": [
                        {"field": "amount", "op": ">=", "value": "1000"},
                        {"field": "amount", "op": "<", "value": "1000"},
                    ]
                }
            ),
            MSG_APPROVER_UNREACHABLE.format(
                stage="approval", approver="finance", text="amount >= 1000 and amount < 1000"
            ),
        ),
        (lambda s: s["stages"][0].update(approvers=[]), "Stage 'approval': the approver set is empty."),
        (
            lambda s: s["stages"][0].update(policy="n_of_m", n=4),
            "Stage 'approval': N (4) is larger than M, the number of approvers (3).",
        ),
        (
            lambda s: finance(s)["when"]["all"][0].update(value="lots"),
            "value 'lots' does not fit field 'amount' (decimal)",
        ),
        (
            lambda s: s["stages"][0]["approvers"][2]["when"]["all"][0].update(op=">"),
            "'>' compares numbers or dates, but 'vendor_risk' is choice",
        ),
        (lambda s: s["reason_codes"].append({"code": "other", "label": "Again"}), "a code is used twice"),
        (lambda s: finance(s).update(when={"not": {}}), "'not' needs a condition"),
    ],
)
def test_each_rule(change, problem):
    broken = spec()
    change(broken)
    assert any(problem in p for p in validate_spec(broken)), validate_spec(broken)


def test_reachable_conditions_are_not_refused():
    fine = spec()
    fine["stages"].append(
        cfo_stage({"any": [{"field": "amount", "op": ">", "value": "9"}, {"field": "amount", "op": "<", "value": "5"}]})
    )
    fine["stages"].append({**cfo_stage({"field": "description", "op": "is empty"}), "key": "blank"})
    fine["stages"].append({**cfo_stage({"not": {"field": "vendor_risk", "op": "=", "value": "high"}}), "key": "skip"})
    assert validate_spec(fine) == []


def test_publishing_lists_every_problem_at_once(demo, draft_of_purchase):
    broken = spec()
    finance(broken)["when"]["all"][0].update(field="amount_eur")
    broken["stages"][0].update(policy="n_of_m", n=5)
    broken["stages"].append(cfo_stage({"field": "amount", "op": "<", "value": "0"}, []))
    draft = draft_update(version=draft_of_purchase, spec=broken, actor=demo["olivia"])
    with pytest.raises(ValidationFailed) as refused:
        version_publish(version=draft, actor=demo["olivia"])
    problems = refused.value.field_errors["spec"]
    assert refused.value.message == f"The draft has {len(problems)} problem(s); fix them before publishing."
    assert len(problems) == 4, problems


def test_publishing_says_why_in_the_versions_history(demo, draft_of_purchase):
    """simple-history reads `_change_reason`: the version's history row says what happened."""
    version = version_publish(version=draft_of_purchase, actor=demo["olivia"])
    latest = version.history.order_by("-history_id").first()
    assert latest.history_change_reason == f"Published as version {version.number}" == "Published as version 2"


@pytest.mark.parametrize("key", ["new", "import", "cases"])
def test_a_key_the_portals_addresses_use_is_refused(demo, key):
    from apps.definitions.services import definition_create

    with pytest.raises(ValidationFailed) as refused:
        definition_create(key=key, name="Clash", actor=demo["olivia"])
    assert list(refused.value.field_errors) == ["key"] and key in refused.value.field_errors["key"][0]
