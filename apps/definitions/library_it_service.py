"""The `it-service-request` template: a ticket in the ticketing system first, then triage by the
service desk, the manager for new hardware, and resolution by IT support on a clock that
follows the priority (high and critical on a tighter one, escalated sooner).

SLA policies attach to a stage, not to a field value, so the priority picks the stage:
`resolve` for low and medium, `resolve_urgent` for high and critical.
"""

from apps.org.roles import IT_SUPPORT, SERVICE_DESK

from .library_sla import approval_sla

CATEGORIES = ["hardware", "software", "access", "network", "other"]
PRIORITIES = ["low", "medium", "high", "critical"]
URGENT = ["high", "critical"]
ROUTINE = ["low", "medium"]
# Resolution targets: business hours for routine requests, round-the-clock hours for urgent ones.
ROUTINE_TARGET_HOURS = 40
URGENT_TARGET_HOURS = 8

IT_SERVICE_REQUEST = {
    "key": "it-service-request",
    "name": "IT service request",
    "description": (
        "An employee asks IT for help; a ticket is opened in the ticketing system, the service desk triages "
        "it and IT support resolves it on a clock set by its priority."
    ),
    "spec": {
        "description": (
            "An employee asks IT for help or for something new. The request is first opened as a ticket in the "
            "ticketing system, whose number is written back on the case; when the ticketing system is down the "
            "case waits in the operators' exception queue. The service desk then triages it by category and "
            "priority; new hardware also needs the requester's manager. IT support resolves low and medium "
            f"priority requests within {ROUTINE_TARGET_HOURS} business hours; high and critical ones within "
            f"{URGENT_TARGET_HOURS} hours round the clock, escalated to the resolver's manager after half of that."
        ),
        "form_intro": (
            "Say in one line what is wrong or what you need, pick the category and how urgent it is. Critical "
            "means people cannot work; high means one person cannot work. The service desk may send it back "
            "for details. Your ticket number appears on the request once the ticket is opened."
        ),
        "fields": [
            {"name": "summary", "type": "text", "label": "Summary", "required": True, "max_length": 200},
            {
                "name": "category",
                "type": "choice",
                "label": "Category",
                "required": True,
                "choices": CATEGORIES,
                "help": "Hardware: devices and new equipment (your manager approves new hardware). Access: "
                "accounts and permissions. Network: Wi-Fi, VPN, connectivity.",
            },
            {
                "name": "priority",
                "type": "choice",
                "label": "Priority",
                "required": True,
                "choices": PRIORITIES,
                "default": "medium",
                "help": "Critical: several people cannot work. High: you cannot work. Medium: a workaround "
                "exists. Low: a wish or a question.",
            },
            {
                "name": "details",
                "type": "textarea",
                "label": "Details",
                "help": "What happened, since when, error messages, the device or application.",
            },
            {"name": "asset_tag", "type": "text", "label": "Asset tag", "max_length": 50},
            {
                "name": "ticket_number",
                "type": "text",
                "label": "Ticket number",
                "max_length": 50,
                "help": "Filled in by the ticketing system when it opens the ticket.",
            },
        ],
        "stages": [
            {
                "key": "open_ticket",
                "name": "Open ticket",
                "type": "http",
                "system": "Ticketing",
                "request": {
                    "method": "POST",
                    "url": "{{endpoint.TICKETING}}/tickets",
                    "headers": {"Authorization": "Bearer {{secret.TICKETING_TOKEN}}"},
                    "body": {
                        "summary": "{{field.summary}}",
                        "category": "{{field.category}}",
                        "priority": "{{field.priority}}",
                        "case": "{{case.id}}",
                    },
                },
                "timeout_seconds": 5,
                "retry": {
                    "attempts": 3,
                    "backoff_seconds": 5,
                    "max_backoff_seconds": 60,
                    "retry_on": [408, 429, 500, 502, 503, 504],
                },
                "response": {"map": {"ticket_number": "number"}},
                "undo": {
                    "method": "DELETE",
                    "url": "{{endpoint.TICKETING}}/tickets/{{field.ticket_number}}",
                    "headers": {"Authorization": "Bearer {{secret.TICKETING_TOKEN}}"},
                },
                "on_failure": "exception_queue",
            },
            {
                "key": "triage",
                "name": "Triage",
                "policy": "any",
                "approvers": [
                    {"key": "service_desk", "label": "Service desk triage", "type": "role", "role": SERVICE_DESK}
                ],
                "sla": {
                    "target_hours": 4,
                    "business": True,
                    "levels": [
                        {"after_hours": 2, "action": "remind"},
                        {"after_hours": 4, "action": "escalate"},
                    ],
                },
            },
            {
                "key": "hardware_approval",
                "name": "Hardware approval",
                "when": {"all": [{"field": "category", "op": "=", "value": "hardware"}]},
                "approvers": [{"key": "manager", "label": "Manager approval", "type": "manager"}],
            },
            {
                "key": "resolve",
                "name": "Resolve",
                "when": {"all": [{"field": "priority", "op": "in", "value": ROUTINE}]},
                "policy": "any",
                "approvers": [{"key": "it_support", "label": "IT support", "type": "role", "role": IT_SUPPORT}],
                "sla": {
                    "target_hours": ROUTINE_TARGET_HOURS,
                    "business": True,
                    "levels": [
                        {"after_hours": 24, "action": "remind"},
                        {"after_hours": ROUTINE_TARGET_HOURS, "action": "escalate"},
                    ],
                },
            },
            {
                "key": "resolve_urgent",
                "name": "Resolve (urgent)",
                "when": {"all": [{"field": "priority", "op": "in", "value": URGENT}]},
                "policy": "any",
                "approvers": [
                    {"key": "it_support", "label": "IT support (urgent)", "type": "role", "role": IT_SUPPORT}
                ],
                "sla": {
                    "target_hours": URGENT_TARGET_HOURS,
                    "business": False,
                    "levels": [
                        {"after_hours": 1, "action": "notify", "notify": {"role": SERVICE_DESK}},
                        {"after_hours": URGENT_TARGET_HOURS // 2, "action": "escalate"},
                        {"after_hours": URGENT_TARGET_HOURS, "action": "reroute"},
                    ],
                },
            },
        ],
        "sla": {
            "approval": approval_sla(),
            "rework": {
                "target_hours": 40,
                "business": True,
                "levels": [{"after_hours": 40, "action": "auto_close"}],
            },
        },
        "on_missing_required": "return_to_requester",
        "reason_codes": [
            {"code": "duplicate", "label": "Duplicate of another ticket"},
            {"code": "not_it", "label": "Not an IT matter"},
            {"code": "not_approved", "label": "Hardware not approved"},
            {"code": "cannot_reproduce", "label": "Cannot reproduce"},
            {"code": "other", "label": "Other"},
        ],
    },
}
