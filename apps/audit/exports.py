"""Taking the audit trail out of the system is itself an audit event (like a case list export:
apps.audit.services.cases_export_record)."""

from django.db import transaction

from .models import Action, AuditEvent
from .services import audit_batch, audit_record


def audit_export_record(*, actor, fmt: str, filters: dict, rows: int) -> AuditEvent:
    """Record who exported audit events, in which format, with which filters (as text) and how many."""
    with transaction.atomic(), audit_batch():
        return audit_record(
            action=Action.AUDIT_EXPORTED,
            actor=actor,
            context={"format": fmt, "filters": {k: str(v) for k, v in filters.items()}, "rows": rows},
        )
