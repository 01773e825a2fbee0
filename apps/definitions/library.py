"""Ready-made workflow specs ("templates") that installations start from.

A template's `description` is the definition's summary, true of every version; the texts that
name amounts live in the spec (`description`, `form_intro`), beside the rules they describe, and
take their figures from the same constants as those rules.
"""

from .library_sla import approval_sla
from .library_supplier import SUPPLIER_PORTAL_STEP

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
            {
                "name": "enter_in_supplier_portal",
                "type": "boolean",
                "label": "Enter the order in the supplier portal",
                "help": "The supplier takes orders only through its web portal: once the invoice is approved, "
                "its order (PO number, amount) is entered there automatically and the supplier's order "
                "number is filled in.",
            },
            {
                "name": "currency",
                "type": "choice",
                "label": "Currency",
                "choices": ["EUR", "USD", "GBP", "CHF"],
                "default": "EUR",
            },
            {
                "name": "supplier_order_number",
                "type": "text",
                "label": "Supplier order number",
                "max_length": 50,
                "help": "Filled in by the supplier portal when it takes the order.",
            },
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
            SUPPLIER_PORTAL_STEP,
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


# Admin access asked by someone outside this department also needs the requester's manager.
ACCESS_ADMIN_DEPARTMENT = "IT"

ACCESS_REQUEST = {
    "key": "access-request",
    "name": "Access request",
    "description": (
        "An employee asks for access to a system; the system's owner and security approve, security records the "
        "access granted, and the access is revoked automatically when it expires."
    ),
    "spec": {
        "description": (
            "An employee asks for access to a system, with a ticket reference and a justification. The system owner "
            "named on the form approves first (never the requester: nobody approves their own access); admin access "
            f"asked from outside {ACCESS_ADMIN_DEPARTMENT} also needs the requester's manager. Security then approves "
            "and records the access it granted. On the expiry date an automated step revokes the access in the "
            "access control system and records its revocation reference; if that call fails, the case waits in the "
            "operators' exception queue until the revocation is done."
        ),
        "form_intro": (
            "Name the system, the access you need, the system's owner (not yourself) and the ticket this request "
            "belongs to, and say why you need it. Choose when the access ends: it is revoked automatically on that "
            "day. The system owner approves, then security grants the access and records what it granted."
        ),
        "fields": [
            {"name": "system", "type": "text", "label": "System", "required": True, "max_length": 200},
            {
                "name": "access_level",
                "type": "choice",
                "label": "Access level",
                "choices": ["read", "write", "admin"],
                "default": "read",
            },
            {
                "name": "system_owner",
                "type": "user",
                "label": "System owner",
                "required": True,
                "not_requester": True,
                "help": "The username of the person who owns the system; they approve first. Not yourself.",
            },
            {
                "name": "ticket_reference",
                "type": "text",
                "label": "Ticket reference",
                "required": True,
                "max_length": 50,
                "help": "The service desk ticket this access is for (evidence for the audit).",
            },
            {
                "name": "justification",
                "type": "textarea",
                "label": "Justification",
                "required": True,
                "max_length": 2000,
                "help": "Why you need this access, and for what work.",
            },
            {
                "name": "access_expires",
                "type": "date",
                "label": "Access expires",
                "required": True,
                "help": "The access is revoked automatically at the start of this day.",
            },
            {
                "name": "access_granted",
                "type": "textarea",
                "label": "Access granted",
                "max_length": 1000,
                "help": "Security records exactly what it granted (account, role, scope).",
            },
            {
                "name": "revocation_reference",
                "type": "text",
                "label": "Revocation reference",
                "max_length": 100,
                "help": "Filled in by the access control system when it revokes the access.",
            },
        ],
        "stages": [
            {
                "key": "owner_approval",
                "name": "Owner approval",
                "policy": "all",
                "approvers": [
                    {
                        "key": "system_owner",
                        "label": "System owner approval",
                        "type": "user_field",
                        "field": "system_owner",
                    },
                    {
                        "key": "manager",
                        "label": "Manager approval",
                        "type": "manager",
                        "when": {
                            "all": [
                                {"field": "access_level", "op": "=", "value": "admin"},
                                {"requester": "department", "op": "!=", "value": ACCESS_ADMIN_DEPARTMENT},
                            ]
                        },
                    },
                ],
            },
            {
                "key": "security",
                "name": "Security approval",
                "policy": "all",
                "approvers": [
                    {
                        "key": "security",
                        "label": "Security approval and grant",
                        "type": "role",
                        "role": "security",
                        "fields": ["access_granted"],
                    }
                ],
            },
            {
                "key": "revoke",
                "name": "Revoke access on expiry",
                "type": "http",
                "system": "Access control",
                "not_before": "access_expires",
                "request": {
                    "method": "POST",
                    "url": "{{endpoint.ERP}}/access/revocations",
                    "headers": {"Authorization": "Bearer {{secret.ERP_TOKEN}}"},
                    "body": {
                        "case": "{{case.id}}",
                        "ticket": "{{field.ticket_reference}}",
                        "system": "{{field.system}}",
                        "access": "{{field.access_granted}}",
                    },
                },
                "timeout_seconds": 10,
                "retry": {
                    "attempts": 5,
                    "backoff_seconds": 60,
                    "max_backoff_seconds": 3600,
                    "retry_on": [408, 429, 500, 502, 503, 504],
                },
                "response": {"map": {"revocation_reference": "reference"}},
                "on_failure": "exception_queue",
            },
        ],
        "sla": {
            "approval": approval_sla(),
            "rework": {
                "target_hours": 40,
                "business": True,
                "levels": [{"after_hours": 80, "action": "auto_close"}],
            },
        },
        "on_missing_required": "return_to_requester",
        "reason_codes": [
            {"code": "no_business_need", "label": "No business need"},
            {"code": "excessive_access", "label": "More access than the work needs"},
            {"code": "missing_evidence", "label": "Ticket or justification missing"},
            {"code": "other", "label": "Other"},
        ],
    },
}

LIBRARY.append(ACCESS_REQUEST)


# A customer who has not sent their documents after this many hours is an exception for operators;
# after ONBOARDING_CHASE_HOURS the sales rep's manager is told.
ONBOARDING_WAIT_HOURS = 120
ONBOARDING_CHASE_HOURS = 72

CUSTOMER_ONBOARDING = {
    "key": "customer-onboarding",
    "name": "Customer onboarding",
    "description": (
        "Sales hands a new customer over: the customer sends their documents, compliance checks them, "
        "operations activates the account."
    ),
    "spec": {
        "description": (
            "Sales starts the onboarding of a new customer. Enterprise deals are first confirmed by the "
            "sales rep's manager. Then the case waits for the customer: their documents arrive through the "
            "customer portal's callback, or an operator records them when they come another way. While it "
            "waits, the customer contact is reminded by e-mail after 24 and 48 hours, the sales rep after 48, "
            f"and the sales rep's manager is told after {ONBOARDING_CHASE_HOURS}. Compliance checks the customer "
            "(legal too when the risk is high), and operations activates the account: an approved case is an "
            f"active customer. A customer silent for {ONBOARDING_WAIT_HOURS} hours lands in the operators' "
            "exception queue, where they wait again, record the documents, or close the onboarding."
        ),
        "form_intro": (
            "Name the customer and the contact who sends their documents. Enterprise deals need your "
            "manager's approval first. While the customer has not answered, their contact is reminded by "
            "e-mail, and so are you."
        ),
        "fields": [
            {"name": "company_name", "type": "text", "label": "Company", "required": True, "max_length": 200},
            {"name": "contact_name", "type": "text", "label": "Customer contact", "required": True, "max_length": 200},
            {
                "name": "contact_email",
                "type": "email",
                "label": "Contact e-mail",
                "required": True,
                "help": "While we wait for the customer's documents, reminders go to this address.",
            },
            {
                "name": "segment",
                "type": "choice",
                "label": "Segment",
                "choices": ["small_business", "mid_market", "enterprise"],
                "default": "small_business",
            },
            {
                "name": "risk_level",
                "type": "choice",
                "label": "Risk level",
                "choices": ["low", "medium", "high"],
                "default": "low",
                "help": "Sales' first view (country, industry, ownership). High risk adds a legal review.",
            },
            {
                "name": "expected_monthly_volume",
                "type": "decimal",
                "label": "Expected monthly volume",
                "min": 0,
                "decimal_places": 2,
            },
            {
                "name": "documents_received",
                "type": "boolean",
                "label": "Documents received",
                "help": "Set by the customer portal's callback (or by whoever records the documents).",
            },
            {
                "name": "customer_reference",
                "type": "text",
                "label": "Customer portal reference",
                "max_length": 100,
                "help": "Filled in by the customer portal when the customer sends their documents.",
            },
            {"name": "notes", "type": "textarea", "label": "Notes"},
        ],
        "stages": [
            {
                "key": "sales_review",
                "name": "Sales sign-off",
                "when": {"all": [{"field": "segment", "op": "=", "value": "enterprise"}]},
                "policy": "all",
                "approvers": [{"key": "sales_manager", "label": "Sales manager sign-off", "type": "manager"}],
            },
            {
                "key": "customer_documents",
                "name": "Waiting for customer",
                "type": "wait",
                "system": "Customer",
                "timeout_hours": ONBOARDING_WAIT_HOURS,
                "sla": {
                    "target_hours": ONBOARDING_CHASE_HOURS,
                    "business": False,
                    "levels": [
                        {"after_hours": 24, "action": "notify", "notify": {"field": "contact_email"}},
                        {"after_hours": 48, "action": "notify", "notify": {"field": "contact_email"}},
                        {"after_hours": 48, "action": "remind"},
                        {"after_hours": ONBOARDING_CHASE_HOURS, "action": "notify", "notify": {"type": "manager"}},
                    ],
                },
            },
            {
                "key": "compliance_review",
                "name": "Compliance check",
                "policy": "all",
                "approvers": [
                    {"key": "compliance", "label": "Compliance check (KYC)", "type": "role", "role": "compliance"},
                    {
                        "key": "legal",
                        "label": "Legal review of a high-risk customer",
                        "type": "role",
                        "role": "legal",
                        "when": {"all": [{"field": "risk_level", "op": "=", "value": "high"}]},
                    },
                ],
            },
            {
                "key": "activation",
                "name": "Activation",
                "policy": "all",
                "approvers": [
                    {"key": "operations", "label": "Activate the account", "type": "role", "role": "operations"}
                ],
            },
        ],
        "sla": {
            "approval": approval_sla(),
            "rework": {
                "target_hours": 40,
                "business": True,
                "levels": [{"after_hours": 40, "action": "auto_close"}],
            },
            "case": {
                "target_hours": 80,
                "business": True,
                "levels": [{"after_hours": 80, "action": "notify", "notify": {"role": "operations"}}],
            },
        },
        "on_missing_required": "return_to_requester",
        "reason_codes": [
            {"code": "kyc_failed", "label": "KYC check failed"},
            {"code": "sanctions_hit", "label": "Sanctions or PEP match"},
            {"code": "customer_unresponsive", "label": "Customer did not answer"},
            {"code": "duplicate_customer", "label": "Customer already exists"},
            {"code": "other", "label": "Other"},
        ],
    },
}

HR_REQUEST_TYPES = ["leave", "personal_data", "payroll", "reference_letter"]


def _only_for(*request_types: str) -> dict:
    """The `show_when` of a field that belongs to some request types only."""
    if len(request_types) == 1:
        return {"field": "request_type", "op": "=", "value": request_types[0]}
    return {"field": "request_type", "op": "in", "value": list(request_types)}


HR_REQUEST = {
    "key": "hr-request",
    "name": "HR request",
    "description": "An employee asks HR for leave, a change of personal data, a pay correction or a letter.",
    "spec": {
        "description": (
            "An employee asks HR for something. The form asks only what the request type needs. Leave is "
            "approved by the employee's manager, then HR; personal data changes and reference letters go to "
            "HR; pay questions go to payroll. The requester sees on their request when it is due (5 business "
            "days) and whether it is on time."
        ),
        "form_intro": (
            "Choose the request type first: the form then asks what that type needs. You see on your request "
            "when HR promises an answer."
        ),
        "fields": [
            {
                "name": "request_type",
                "type": "choice",
                "label": "Request type",
                "required": True,
                "choices": HR_REQUEST_TYPES,
                "default": "leave",
            },
            {
                "name": "leave_type",
                "type": "choice",
                "label": "Leave type",
                "choices": ["annual", "sick", "parental", "unpaid"],
                "required": True,
                "show_when": _only_for("leave"),
            },
            {
                "name": "leave_start",
                "type": "date",
                "label": "First day",
                "required": True,
                "show_when": _only_for("leave"),
            },
            {
                "name": "leave_end",
                "type": "date",
                "label": "Last day",
                "required": True,
                "show_when": _only_for("leave"),
            },
            {
                "name": "change_details",
                "type": "textarea",
                "label": "What changes",
                "required": True,
                "help": "The new address, name or bank account, as it should be recorded.",
                "show_when": _only_for("personal_data"),
            },
            {
                "name": "effective_date",
                "type": "date",
                "label": "Effective from",
                "show_when": _only_for("personal_data", "payroll"),
            },
            {
                "name": "pay_period",
                "type": "text",
                "label": "Pay period",
                "required": True,
                "max_length": 20,
                "help": "The month concerned, e.g. 2026-11.",
                "show_when": _only_for("payroll"),
            },
            {
                "name": "pay_issue",
                "type": "choice",
                "label": "Pay issue",
                "choices": ["missing_payment", "wrong_amount", "tax", "other"],
                "required": True,
                "show_when": _only_for("payroll"),
            },
            {
                "name": "letter_purpose",
                "type": "text",
                "label": "Letter for",
                "required": True,
                "max_length": 200,
                "help": "Who the letter is for (a landlord, a bank, a visa application).",
                "show_when": _only_for("reference_letter"),
            },
            {"name": "details", "type": "textarea", "label": "Anything else"},
        ],
        "stages": [
            {
                "key": "manager_approval",
                "name": "Manager approval",
                "when": {"all": [_only_for("leave")]},
                "policy": "all",
                "approvers": [{"key": "manager", "label": "Manager approval", "type": "manager"}],
            },
            {
                "key": "hr_review",
                "name": "HR",
                "when": {"all": [_only_for("leave", "personal_data", "reference_letter")]},
                "policy": "all",
                "approvers": [{"key": "hr", "label": "HR decision", "type": "role", "role": "hr"}],
            },
            {
                "key": "payroll_review",
                "name": "Payroll",
                "when": {"all": [_only_for("payroll")]},
                "policy": "all",
                "approvers": [{"key": "payroll", "label": "Payroll answer", "type": "role", "role": "payroll"}],
            },
        ],
        "sla": {
            "approval": approval_sla(),
            "rework": {
                "target_hours": 40,
                "business": True,
                "levels": [{"after_hours": 40, "action": "auto_close"}],
            },
            "case": {
                "target_hours": 40,
                "business": True,
                "pause_on_rework": True,
                "levels": [{"after_hours": 40, "action": "notify", "notify": {"role": "hr"}}],
            },
        },
        "on_missing_required": "return_to_requester",
        "reason_codes": [
            {"code": "not_eligible", "label": "Not eligible"},
            {"code": "no_balance", "label": "Not enough leave left"},
            {"code": "team_coverage", "label": "Team coverage"},
            {"code": "missing_information", "label": "Information missing"},
            {"code": "other", "label": "Other"},
        ],
    },
}

LIBRARY.extend([CUSTOMER_ONBOARDING, HR_REQUEST])

# NOTE: imported here, below LIBRARY, so each template module stays its own file (library.py
# would pass 300 lines); each registers itself once.
from .library_it_service import IT_SERVICE_REQUEST  # noqa: E402

LIBRARY.append(IT_SERVICE_REQUEST)

from .library_policy_exception import POLICY_EXCEPTION  # noqa: E402

LIBRARY.append(POLICY_EXCEPTION)
