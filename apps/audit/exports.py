"""Taking the audit trail out of the system is itself an audit event, recorded like a case list
export (apps.audit.services.export_record)."""

from .models import Action, AuditEvent
from .services import export_record


def audit_export_record(*, actor, fmt: str, filters: dict, rows: int) -> AuditEvent:
    """Record who exported audit events, in which format, with which filters (as text) and how many."""
    return export_record(action=Action.AUDIT_EXPORTED, actor=actor, fmt=fmt, filters=filters, rows=rows)
