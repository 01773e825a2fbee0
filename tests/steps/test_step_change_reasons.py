"""Automated steps keep why the case row changed: the step's answer, an operator's correction."""

from apps.automation.services import step_retry
from tests.conftest import reload

ERP = "/erp/invoices"


def reasons(case) -> list[str]:
    return list(
        reload(case).history.order_by("history_date", "history_id").values_list("history_change_reason", flat=True)
    )


def test_the_steps_answer_and_the_operators_correction_are_the_why(start_invoice, erp_settings, demo, run_committed):
    erp_settings.expect_request(ERP, method="POST").respond_with_json({"reference": "ERP-5"})
    case = start_invoice(po_number=None)
    run = case.step_runs.get()

    run_committed(step_retry, run_id=run.pk, actor=demo["oscar"], data={"po_number": "PO-1"}, note="PO from email")

    assert reasons(case) == [
        "Case started by alice",
        "Exception at Validate in ERP (missing data): Field 'po_number' is empty; the call to ERP needs it.",
        "Case data corrected by oscar: PO from email",
        "Automated step succeeded (Validate in ERP): ERP answered 200.",
    ]
