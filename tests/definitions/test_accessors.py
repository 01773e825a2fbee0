"""Typed reads of a spec (apps.definitions.accessors): what the engine and the feature apps use
instead of the JSON's keys."""

from decimal import Decimal
from types import SimpleNamespace

from apps.definitions.accessors import Spec, spec_of
from apps.definitions.library import PURCHASE_APPROVAL


def test_the_purchase_template_reads_as_typed_fields_stages_and_approvers():
    spec = Spec(PURCHASE_APPROVAL["spec"])

    assert [f.name for f in spec.fields][:3] == ["amount", "vendor", "vendor_risk"]
    assert spec.field("cost_center").required_before == "approval"
    assert spec.field("vendor_risk").choices == ("low", "medium", "high")
    assert spec.field("description").form_label == "Description"
    stage = spec.stage("approval")
    assert (stage.name, stage.policy, stage.is_step) == ("Approval", "all", False)
    assert [a.key for a in stage.approvers] == ["manager", "finance", "legal"]
    assert stage.approver("finance").role == "finance" and stage.approver("manager").type == "manager"
    assert spec.stage("nope") is None and spec.field("nope") is None


def test_missing_and_clean_go_through_the_field_rules():
    spec = Spec(PURCHASE_APPROVAL["spec"])
    assert [f.label for f in spec.missing({"amount": "5"}, stage="approval")] == ["Cost center"]
    assert spec.missing({"cost_center": "CC-1"}, stage="approval") == ()
    assert spec.clean({"amount": "12.5", "vendor": "ACME"})["amount"] == "12.50"


def test_a_stage_sla_wins_over_the_spec_policy_for_its_approvals():
    spec = Spec(
        {
            "fields": [],
            "stages": [{"key": "a", "name": "A", "approvers": [], "sla": {"target_hours": 4}}, {"key": "b"}],
            "sla": {
                "approval": {"target_hours": 8, "business": False, "levels": [{"action": "remind", "after_hours": 6}]}
            },
        }
    )
    assert spec.sla("approval", stage_key="a").target_hours == Decimal("4")
    fallback = spec.sla("approval", stage_key="b")
    assert (fallback.target_hours, fallback.business) == (Decimal("8"), False)
    assert [(level.action, level.after_hours) for level in fallback.levels] == [("remind", Decimal("6"))]
    assert spec.sla("case") is None


def test_the_typed_view_is_built_once_per_version_and_again_when_a_draft_spec_is_replaced():
    version = SimpleNamespace(spec={"fields": [], "stages": []})
    first = spec_of(version)
    assert spec_of(version) is first
    version.spec = {"fields": [{"name": "x", "type": "text"}], "stages": []}
    assert [f.name for f in spec_of(version).fields] == ["x"]


def test_a_malformed_spec_reads_as_empty_instead_of_failing():
    spec = Spec({"fields": "oops", "stages": [1, {"key": "s", "approvers": "x"}]})
    assert spec.fields == () and [s.key for s in spec.stages] == ["s"] and spec.stages[0].approvers == ()


def test_an_http_step_reads_its_call_undo_retry_answer_map_and_timeout_with_the_runner_defaults():
    spec = Spec(
        {
            "fields": [{"name": "erp_id", "type": "text"}],
            "stages": [
                {
                    "key": "erp",
                    "type": "http",
                    "system": "ERP",
                    "request": {"method": "put", "url": "{{endpoint.ERP}}/x", "body": {"a": "{{field.erp_id}}"}},
                    "undo": {"method": "DELETE", "url": "{{endpoint.ERP}}/x/{{field.erp_id}}"},
                    "retry": {"attempts": 2, "retry_on": [503]},
                    "response": {"map": {"erp_id": "data.id"}},
                    "timeout_seconds": 5,
                },
                {"key": "plain", "type": "http", "system": "ERP", "request": {"url": "https://erp.example/y"}},
            ],
        }
    )
    erp, plain = spec.stage("erp"), spec.stage("plain")
    assert (erp.request.method, erp.request.body, erp.request.headers) == ("PUT", {"a": "{{field.erp_id}}"}, {})
    assert erp.has_undo and erp.undo.method == "DELETE" and plain.undo is None and not plain.has_undo
    assert (erp.retry.attempts, erp.retry.retry_on, erp.retry.backoff_seconds) == (2, frozenset({503}), 10.0)
    assert erp.response_map == {"erp_id": "data.id"} and plain.response_map == {}
    assert (erp.timeout_seconds, plain.timeout_seconds) == (5.0, 10.0)
    assert plain.request.method == "POST" and plain.retry.attempts == 4 and 429 in plain.retry.retry_on


def test_a_field_knows_its_limits_cleans_a_value_and_shows_itself_as_stored():
    spec = Spec(
        {
            "fields": [{"name": "amount", "type": "decimal", "min": 1, "max": 100}],
            "stages": [],
            "reason_codes": [{"code": "dup", "label": "Duplicate"}],
        }
    )
    amount = spec.field("amount")
    assert (amount.min, amount.max) == (1, 100)
    assert amount.clean_value("12.5") == "12.50"
    assert amount.as_dict() == {"name": "amount", "type": "decimal", "min": 1, "max": 100}
    assert [c.as_dict() for c in spec.reason_codes] == [{"code": "dup", "label": "Duplicate"}]
