"""The `policy-exception` template: someone asks to be exempted from a policy until a date (not
one in the past), with their rationale; approvals grow with the risk, approvers see how often the
same person or the same policy needed an exception in the last 12 months (`similar_cases`), and
on the expiry date a scheduled step records the exception's end in the policy register, which
closes the case."""

from apps.org.roles import POLICY_OWNERS, RISK_COMPLIANCE

POLICIES = [
    "acceptable-use",
    "data-retention",
    "password",
    "remote-access",
    "software-installation",
    "travel-expenses",
    "vendor-onboarding",
]
RISKS = ["low", "medium", "high"]
SIMILAR_MONTHS = 12

POLICY_EXCEPTION = {
    "key": "policy-exception",
    "name": "Policy exception",
    "description": ("An employee asks for a time-limited exception to a company policy; approvals grow with the risk."),
    "spec": {
        "description": (
            "An employee asks to be exempted from a policy until an expiry date and says why. The requester's "
            "manager approves every exception; medium and high risk also need the policy owner, and high risk "
            "also risk & compliance. All approvals run in parallel and one rejection closes the request with "
            f"its reason. Approvers see how many exceptions the same requester and the same policy had in the "
            f"last {SIMILAR_MONTHS} months, so a recurring exception shows up as a policy to change. An "
            "approved exception stays in force until its expiry date: on that day an automated step records its "
            "end in the policy register and the case closes; if that call fails, the case waits in the "
            "operators' exception queue until the end is recorded."
        ),
        "form_intro": (
            "Name the policy, what you need to do differently and why (the rationale is required), the risk "
            "and the date the exception ends (today or later; it ends automatically that day). Your manager "
            "approves every exception; medium risk adds the policy owner, high risk adds risk & compliance."
        ),
        "fields": [
            {"name": "policy", "type": "choice", "label": "Policy", "required": True, "choices": POLICIES},
            {
                "name": "exception",
                "type": "text",
                "label": "Exception requested",
                "required": True,
                "max_length": 300,
                "help": "What you need to do that the policy does not allow.",
            },
            {
                "name": "rationale",
                "type": "textarea",
                "label": "Rationale",
                "required": True,
                "help": "Why the exception is needed and why the policy cannot be followed.",
            },
            {
                "name": "risk",
                "type": "choice",
                "label": "Risk",
                "required": True,
                "choices": RISKS,
                "default": "low",
                "help": "Low: no customer or personal data involved. High: customer data, money or legal "
                "obligations at stake.",
            },
            {
                "name": "compensating_controls",
                "type": "textarea",
                "label": "Compensating controls",
                "help": "What limits the risk while the exception runs.",
            },
            {
                "name": "expires_on",
                "type": "date",
                "label": "Expires on",
                "required": True,
                "not_past": True,
                "help": "The day the exception ends (not in the past); from then on the policy applies again.",
            },
            {
                "name": "end_reference",
                "type": "text",
                "label": "End recorded",
                "max_length": 100,
                "help": "Filled in by the policy register when it records the exception's end.",
            },
        ],
        "stages": [
            {
                "key": "approval",
                "name": "Approval",
                "policy": "all",
                "approvers": [
                    {"key": "manager", "label": "Manager approval", "type": "manager"},
                    {
                        "key": "policy_owner",
                        "label": "Policy owner approval",
                        "type": "role",
                        "role": POLICY_OWNERS,
                        "when": {"all": [{"field": "risk", "op": "in", "value": ["medium", "high"]}]},
                    },
                    {
                        "key": "risk_compliance",
                        "label": "Risk & compliance approval",
                        "type": "role",
                        "role": RISK_COMPLIANCE,
                        "when": {"all": [{"field": "risk", "op": "=", "value": "high"}]},
                    },
                ],
            },
            {
                "key": "expiry",
                "name": "End the exception on expiry",
                "type": "http",
                "system": "Policy register",
                "not_before": "expires_on",
                "request": {
                    "method": "POST",
                    "url": "{{endpoint.ERP}}/policy-exceptions/ends",
                    "headers": {"Authorization": "Bearer {{secret.ERP_TOKEN}}"},
                    "body": {
                        "case": "{{case.id}}",
                        "policy": "{{field.policy}}",
                        "exception": "{{field.exception}}",
                        "expires_on": "{{field.expires_on}}",
                    },
                },
                "timeout_seconds": 10,
                "retry": {
                    "attempts": 5,
                    "backoff_seconds": 60,
                    "max_backoff_seconds": 3600,
                    "retry_on": [408, 429, 500, 502, 503, 504],
                },
                "response": {"map": {"end_reference": "reference"}},
                "on_failure": "exception_queue",
            },
        ],
        "sla": {
            "approval": {
                "target_hours": 24,
                "business": True,
                "levels": [
                    {"after_hours": 16, "action": "remind"},
                    {"after_hours": 24, "action": "escalate"},
                ],
            },
            "rework": {
                "target_hours": 80,
                "business": True,
                "levels": [{"after_hours": 80, "action": "auto_close"}],
            },
        },
        "on_missing_required": "return_to_requester",
        "similar_cases": {"months": SIMILAR_MONTHS, "same": ["requester", "policy"]},
        "reason_codes": [
            {"code": "risk_too_high", "label": "Risk too high"},
            {"code": "rationale_insufficient", "label": "Rationale insufficient"},
            {"code": "expiry_too_long", "label": "Expiry too far away"},
            {"code": "change_the_policy", "label": "Recurring: change the policy instead"},
            {"code": "other", "label": "Other"},
        ],
    },
}
