"""Ready-made workflow specs ("templates") that installations start from."""

PURCHASE_APPROVAL = {
    "key": "purchase-approval",
    "name": "Purchase approval",
    "description": (
        "An employee asks to buy something. Their manager always approves; purchases of 1,000 "
        "or more also need finance, and high-risk vendors need legal. All approvals run in "
        "parallel and all must approve; one rejection closes the request with its reason."
    ),
    "spec": {
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
                        "when": {"all": [{"field": "amount", "op": ">=", "value": "1000"}]},
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
    },
}

LIBRARY = [PURCHASE_APPROVAL]
