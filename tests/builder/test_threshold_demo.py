"""The builder's demo, through the services: olivia lowers the finance threshold from 1,000 to 500."""

from apps.builder.replay import impact_preview
from apps.cases.services import task_complete
from apps.definitions.selectors import version_live
from apps.definitions.services import draft_create_from, draft_row_save, version_publish
from tests.conftest import open_tasks, reload, task_for

FINANCE_RULE = "approver:approval:finance"


def test_lowering_the_finance_threshold_changes_new_cases_only(demo, start_purchase):
    olivia = demo["olivia"]
    open_700 = start_purchase(amount="700")
    closed_700 = start_purchase(amount="700")
    task_complete(task_id=task_for(closed_700, "Manager approval").pk, actor=demo["bob"], decision="approve")
    already_finance = start_purchase(amount="5000")
    small = start_purchase(amount="300")
    v1 = version_live(key="purchase-approval")

    draft = draft_create_from(version=v1, actor=olivia)
    draft = draft_row_save(
        version=draft,
        section="clauses",
        parent=FINANCE_RULE,
        index=0,
        values={"field": "amount", "op": ">=", "value": "500"},
        actor=olivia,
    )
    assert draft.spec["stages"][0]["approvers"][1]["when"] == {
        "all": [{"field": "amount", "op": ">=", "value": "500.00"}]
    }

    report = impact_preview(live=v1, draft=draft, limit=50)
    changed = {c["case"].pk: c for c in report["changed"]}
    assert set(changed) == {open_700.pk, closed_700.pk}
    assert report["replayed"] == 4 and (changed[open_700.pk]["open"], changed[closed_700.pk]["open"]) == (True, False)
    why = changed[open_700.pk]["why"]
    assert "Finance approval now applies: Amount 700 >= 500 (was: Amount 700 >= 1,000)" in why
    assert "would now need Finance approval" in why
    assert changed[open_700.pk]["data"][:2] == [("Amount", "700"), ("Vendor", "ACME Ltd")]  # as the case page shows it
    assert already_finance.pk not in changed and small.pk not in changed

    v2 = version_publish(version=draft, actor=olivia)
    assert v2.number == 2 and version_live(key="purchase-approval").pk == v2.pk

    new_700 = start_purchase(amount="700")
    assert new_700.version_number == 2
    assert {t.data["label"] for t in open_tasks(new_700)} == {"Manager approval", "Finance approval"}
    kept = reload(open_700)
    assert kept.version_number == 1
    assert [t.data["label"] for t in open_tasks(kept)] == ["Manager approval"]
    assert "Finance" not in kept.route["summary"]
