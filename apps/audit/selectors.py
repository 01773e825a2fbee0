"""Reading the audit trail."""

from .models import AuditEvent


def audit_events_for_case(*, case_id: int):
    return AuditEvent.objects.filter(case_id=case_id).select_related("actor").order_by("at", "id")
