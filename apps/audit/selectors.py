"""Reading the audit trail."""

from .models import Action, AuditEvent


def audit_events_for_case(*, case_id: int):
    return AuditEvent.objects.filter(case_id=case_id).select_related("actor").order_by("at", "id")


def last_resubmission(*, case_id: int) -> tuple | None:
    """(the requester's resubmission, the decision that returned the case before it), the latest
    pair; None if the case was never resubmitted. One query."""
    events = list(
        AuditEvent.objects.filter(case_id=case_id, action__in=[Action.CASE_RESUBMITTED, Action.TASK_DECIDED])
        .select_related("actor")
        .order_by("at", "id")
    )
    for index in range(len(events) - 1, -1, -1):
        if events[index].action == Action.CASE_RESUBMITTED:
            returned = next(
                (e for e in reversed(events[:index]) if (e.context or {}).get("decision") == "return"), None
            )
            return events[index], returned
    return None


def chain_verification_last():
    """The latest verification of the hash chain (None before the first)."""
    from .models import ChainVerification

    return ChainVerification.objects.order_by("-at", "-id").first()
