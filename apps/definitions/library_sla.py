"""Service levels the templates of the library share."""


def approval_sla() -> dict:
    """The approval SLA most templates share (a new dict each time: a spec is data its definition
    owns): due in two working days (16 business hours), a reminder at half-time, then an
    escalation to the holder's manager."""
    return {
        "target_hours": 16,
        "business": True,
        "levels": [{"after_hours": 8, "action": "remind"}, {"after_hours": 16, "action": "escalate"}],
    }
