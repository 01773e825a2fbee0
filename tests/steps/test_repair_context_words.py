"""The fields an operator's repair changed, before and after, in words on the case page and in the
API's history (apps.audit.words)."""

from apps.automation.services import step_retry

ERP = "/erp/invoices"


def test_a_repair_shows_each_changed_field_before_and_after(
    start_invoice, erp_settings, demo, run_committed, signed_in
):
    erp_settings.expect_request(ERP, method="POST").respond_with_json({"reference": "ERP-5"})
    case = start_invoice(po_number=None, amount="1200.00")
    run = case.step_runs.get()

    run_committed(
        step_retry, run_id=run.pk, actor=demo["oscar"], data={"po_number": "PO-1", "amount": "1250"}, note="From email"
    )

    history = signed_in("audrey").get(f"/api/v1/cases/{case.pk}/").json()["history"]
    edited = next(e for e in history if e["action"] == "case.data_edited")
    (changed,) = [w for w in edited["context_words"] if w["key"] == "changes"]
    assert changed["label"] == "Changed"
    assert sorted(changed["changes"], key=lambda c: c["field"]) == [
        {"field": "Amount", "before": "1,200", "after": "1,250"},
        {"field": "PO number", "before": "(empty)", "after": "PO-1"},
    ]
    retried = next(e for e in history if e["action"] == "step.retried")
    assert {w["key"]: w["text"] for w in retried["context_words"]}["corrected"] == "Amount, PO number"

    page = signed_in("audrey").get(f"/cases/{case.pk}/").content.decode()
    assert '<span class="change">PO number: <del>(empty)</del> → <ins>PO-1</ins></span>' in page
    assert '<span class="change">Amount: <del>1,200</del> → <ins>1,250</ins></span>' in page
