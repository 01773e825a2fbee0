"""Ready-made workflow specs ("templates") that installations start from.

A template's `description` is the definition's summary, true of every version; the texts that
name amounts live in the spec (`description`, `form_intro`), beside the rules they describe, and
take their figures from the same constants as those rules.
"""

# From this amount a purchase also needs finance.
PURCHASE_FINANCE_FROM = "1000"


def _amount(text: str) -> str:
    return f"{int(text):,}"


def purchase_approval_spec(*, finance_from: str = PURCHASE_FINANCE_FROM) -> dict:
    """The purchase-approval spec, finance approving from `finance_from` (the demo history's
    version 2 raises it), with the texts that name that amount."""
    return {
        "description": (
            f"An employee asks to buy something. Their manager always approves; purchases of "
            f"{_amount(finance_from)} or more also need finance, and high-risk vendors need legal. "
            "All approvals run in parallel and all must approve; one rejection closes the request with its reason."
        ),
        "form_intro": (
            f"Give the total amount including tax and the vendor. Your manager approves every purchase; "
            f"purchases of {_amount(finance_from)} or more also need finance approval, and a high-risk "
            "vendor needs legal review. Add the cost center before anyone can approve."
        ),
        "fields": [
            {
                "name": "amount",
                "type": "decimal",
                "label": "Amount",
                "required": True,
                "greater_than": 0,
                "decimal_places": 2,
                "help": "Total amount including tax.",
            },
            {"name": "vendor", "type": "text", "label": "Vendor", "required": True, "max_length": 200},
            {
                "name": "vendor_risk",
                "type": "choice",
                "label": "Vendor risk",
                "choices": ["low", "medium", "high"],
                "default": "low",
            },
            {
                "name": "cost_center",
                "type": "text",
                "label": "Cost center",
                "max_length": 50,
                "required_before": "approval",
                "help": "Needed before anyone can approve.",
            },
            {"name": "description", "type": "textarea", "label": "Description"},
        ],
        "stages": [
            {
                "key": "approval",
                "name": "Approval",
                "policy": "all",
                "approvers": [
                    {"key": "manager", "label": "Manager approval", "type": "manager"},
                    {
                        "key": "finance",
                        "label": "Finance approval",
                        "type": "role",
                        "role": "finance",
                        "when": {"all": [{"field": "amount", "op": ">=", "value": finance_from}]},
                    },
                    {
                        "key": "legal",
                        "label": "Legal review",
                        "type": "role",
                        "role": "legal",
                        "when": {"all": [{"field": "vendor_risk", "op": "=", "value": "high"}]},
                    },
                ],
            }
        ],
        "sla": {
            "approval": {
                "target_hours": 48,
                "business": True,
                "levels": [
                    {"after_hours": 24, "action": "remind"},
                    {"after_hours": 48, "action": "escalate"},
                    {"after_hours": 72, "action": "reroute"},
                ],
            },
            "rework": {
                "target_hours": 80,
                "business": True,
                "levels": [{"after_hours": 80, "action": "auto_close"}],
            },
        },
        "on_missing_required": "return_to_requester",
        "reason_codes": [
            {"code": "over_budget", "label": "Over budget"},
            {"code": "vendor_not_approved", "label": "Vendor not approved"},
            {"code": "not_needed", "label": "Not needed"},
            {"code": "other", "label": "Other"},
        ],
    }


PURCHASE_APPROVAL = {
    "key": "purchase-approval",
    "name": "Purchase approval",
    "description": "An employee asks to buy something; their manager, and where needed finance and legal, approve.",
    "spec": purchase_approval_spec(),
}

# Amounts from this figure need a second approver, the requester's manager.
INVOICE_SECOND_APPROVAL_FROM = "1000"

INVOICE_PROCESSING = {
    "key": "invoice-processing",
    "name": "Invoice processing",
    "description": "A supplier invoice is validated in the ERP, then approved by finance.",
    "spec": {
        "description": (
            "A supplier invoice is entered and first validated in the ERP, which answers its ERP "
            f"reference. Finance then approves it; invoices of {_amount(INVOICE_SECOND_APPROVAL_FROM)} or more "
            "also need the requester's manager. When the ERP is down, slow or refuses the invoice, the case goes "
            "to the operators' exception queue."
        ),
        "form_intro": (
            "Copy the invoice number, vendor and total amount from the invoice, and the PO number it bills: "
            f"the ERP checks them first. Finance approves every invoice; from "
            f"{_amount(INVOICE_SECOND_APPROVAL_FROM)} your manager approves too."
        ),
        "fields": [
            {"name": "invoice_number", "type": "text", "label": "Invoice number", "required": True, "max_length": 100},
            {"name": "vendor", "type": "text", "label": "Vendor", "required": True, "max_length": 200},
            {
                "name": "amount",
                "type": "decimal",
                "label": "Amount",
                "required": True,
                "greater_than": 0,
                "decimal_places": 2,
                "help": "Total amount including tax.",
            },
            {
                "name": "po_number",
                "type": "text",
                "label": "PO number",
                "max_length": 100,
                "help": "The purchase order it bills. The ERP needs it: left empty, the invoice waits for "
                "an operator to add it (missing data).",
            },
            {"name": "due_date", "type": "date", "label": "Due date"},
            {
                "name": "erp_reference",
                "type": "text",
                "label": "ERP reference",
                "max_length": 100,
                "help": "Filled in by the ERP when it accepts the invoice.",
            },
            {"name": "notes", "type": "textarea", "label": "Notes"},
        ],
        "stages": [
            {
                "key": "erp_check",
                "name": "Validate in ERP",
                "type": "http",
                "system": "ERP",
                "request": {
                    "method": "POST",
                    "url": "{{endpoint.ERP}}/invoices",
                    "headers": {"Authorization": "Bearer {{secret.ERP_TOKEN}}"},
                    "body": {
                        "invoice": "{{field.invoice_number}}",
                        "amount": "{{field.amount}}",
                        "vendor": "{{field.vendor}}",
                        "po": "{{field.po_number}}",
                    },
                },
                "timeout_seconds": 5,
                "retry": {
                    "attempts": 3,
                    "backoff_seconds": 5,
                    "max_backoff_seconds": 60,
                    "retry_on": [408, 429, 500, 502, 503, 504],
                },
                "response": {"map": {"erp_reference": "reference"}},
                "undo": {
                    "method": "DELETE",
                    "url": "{{endpoint.ERP}}/invoices/{{field.erp_reference}}",
                    "headers": {"Authorization": "Bearer {{secret.ERP_TOKEN}}"},
                },
                "on_failure": "exception_queue",
            },
            {
                "key": "approval",
                "name": "Approval",
                "policy": "all",
                "approvers": [
                    {"key": "finance", "label": "Finance approval", "type": "role", "role": "finance"},
                    {
                        "key": "manager",
                        "label": "Manager approval",
                        "type": "manager",
                        "when": {"all": [{"field": "amount", "op": ">=", "value": INVOICE_SECOND_APPROVAL_FROM}]},
                    },
                ],
            },
        ],
        "sla": {
            "approval": {
                "target_hours": 48,
                "business": True,
                "levels": [
                    {"after_hours": 24, "action": "remind"},
                    {"after_hours": 48, "action": "escalate"},
                ],
            },
            "rework": {
                "target_hours": 80,
                "business": True,
                "levels": [{"after_hours": 80, "action": "auto_close"}],
            },
        },
        "on_missing_required": "return_to_requester",
        "reason_codes": [
            {"code": "duplicate", "label": "Duplicate invoice"},
            {"code": "amount_mismatch", "label": "Amount does not match the order"},
            {"code": "not_received", "label": "Goods or services not received"},
            {"code": "other", "label": "Other"},
        ],
    },
}

# A scheduled run should be closed within this many business hours of its period beginning.
REPORT_DUE_HOURS = 16

RECURRING_REPORT = {
    "key": "recurring-report",
    "name": "Recurring report",
    "description": "A report started on a schedule: its data is fetched from the ERP, a finance officer "
    "prepares it and the requester's manager reviews it.",
    "spec": {
        "description": (
            "A recurring report, started by a schedule (Workflows › this workflow › Recurring runs) once per "
            "period, in the name of the person it is for. The ERP first hands out the period's data extract; a "
            "finance officer then prepares the report from it and the requester's manager reviews it. When the "
            "ERP is down or refuses the extract, the run goes to the operators' exception queue, who retry it "
            "once the ERP is back. A run still open past its due time, or started late after downtime, is "
            "marked late."
        ),
        "form_intro": (
            "Scheduled runs fill this in themselves: the period is the day the run was due. Start one by hand "
            "only to make up a run, with the period it covers."
        ),
        "fields": [
            {"name": "report_name", "type": "text", "label": "Report", "required": True, "max_length": 200},
            {
                "name": "scheduled_for",
                "type": "date",
                "label": "Period",
                "required": True,
                "help": "The day the run was due; a schedule fills it in.",
            },
            {
                "name": "source",
                "type": "choice",
                "label": "Data source",
                "choices": ["general_ledger", "accounts_payable", "sales"],
                "default": "general_ledger",
            },
            {
                "name": "extract_reference",
                "type": "text",
                "label": "Extract",
                "max_length": 100,
                "help": "Filled in by the ERP when it hands out the period's data.",
            },
            {"name": "row_count", "type": "integer", "label": "Rows in the extract", "min": 0},
            {"name": "distribution", "type": "textarea", "label": "Distribution", "help": "Who receives the report."},
        ],
        "stages": [
            {
                "key": "fetch_data",
                "name": "Fetch the data",
                "type": "http",
                "system": "ERP",
                "request": {
                    "method": "POST",
                    "url": "{{endpoint.ERP}}/reports",
                    "headers": {"Authorization": "Bearer {{secret.ERP_TOKEN}}"},
                    "body": {
                        "report": "{{field.report_name}}",
                        "period": "{{field.scheduled_for}}",
                        "source": "{{field.source}}",
                    },
                },
                "timeout_seconds": 5,
                "retry": {
                    "attempts": 3,
                    "backoff_seconds": 10,
                    "max_backoff_seconds": 120,
                    "retry_on": [408, 429, 500, 502, 503, 504],
                },
                "response": {"map": {"extract_reference": "extract", "row_count": "rows"}},
                "on_failure": "exception_queue",
            },
            {
                "key": "prepare",
                "name": "Prepare",
                "policy": "any",
                "approvers": [{"key": "preparer", "label": "Prepare the report", "type": "role", "role": "finance"}],
            },
            {
                "key": "review",
                "name": "Review",
                "policy": "any",
                "approvers": [{"key": "reviewer", "label": "Review the report", "type": "manager"}],
            },
        ],
        "sla": {
            "approval": {
                "target_hours": 4,
                "business": True,
                "levels": [
                    {"after_hours": 2, "action": "remind"},
                    {"after_hours": 4, "action": "escalate"},
                ],
            },
            "rework": {
                "target_hours": 16,
                "business": True,
                "levels": [{"after_hours": 16, "action": "remind"}],
            },
            "case": {
                "target_hours": REPORT_DUE_HOURS,
                "business": True,
                "levels": [{"after_hours": REPORT_DUE_HOURS, "action": "remind"}],
            },
        },
        "on_missing_required": "return_to_requester",
        "reason_codes": [
            {"code": "numbers_do_not_reconcile", "label": "Numbers do not reconcile"},
            {"code": "extract_incomplete", "label": "Extract incomplete"},
            {"code": "wrong_period", "label": "Wrong period"},
            {"code": "other", "label": "Other"},
        ],
    },
}

LIBRARY = [PURCHASE_APPROVAL, INVOICE_PROCESSING]
LIBRARY.append(RECURRING_REPORT)
