"""Writing the audit trail. Every state-changing service calls `audit_record` inside its
transaction; `audit_batch` collects the rows of one service call into a single INSERT and is the
call's unit of work for the outbox (one queue message for its after-commit effects)."""

import threading
from contextlib import contextmanager

from django.db import connection, transaction

from apps.core.actors import actor_label
from apps.core.outbox import unit_of_work

from .models import Action, AuditEvent

_local = threading.local()


@contextmanager
def audit_batch():
    """Write every event recorded inside the block with one INSERT when the block ends.

    Use inside `transaction.atomic()`, so the events commit or roll back with the change.
    Nested batches join the outermost one. The outermost batch is also the service call's unit
    of work (apps.core.outbox): its after-commit effects leave as one queue message when it ends.
    """
    if getattr(_local, "events", None) is not None:
        yield
        return
    _local.events = []
    try:
        with unit_of_work():
            yield
            events, _local.events = _local.events, None
            if events:
                for event in events:
                    _resolve_pending(event)
                AuditEvent.objects.bulk_create(events)
    finally:
        _local.events = None


def audit_record(
    *,
    action: str,
    actor=None,
    case=None,
    task=None,
    step: str = "",
    reason: str = "",
    comment: str = "",
    data: dict | None = None,
    context: dict | None = None,
) -> AuditEvent:
    """Record one event; the actor is a user, or None for the system."""
    assert connection.in_atomic_block, "audit events are written in the transaction of the change"
    event = AuditEvent(
        actor=actor,
        actor_name=actor_label(actor),
        action=action,
        case_id=getattr(case, "pk", None),
        task_id=getattr(task, "pk", None),
        workflow=getattr(case, "workflow_key", "") if case is not None else "",
        version=getattr(case, "version_number", None) if case is not None else None,
        step=step,
        reason=reason,
        comment=comment,
        data=dict(data or {}),
        context=dict(context or {}),
    )
    if event.case_id is None and case is not None:
        event._pending_case = case  # pk is assigned when the case row is inserted
    events = getattr(_local, "events", None)
    if events is not None:
        events.append(event)
    else:
        _resolve_pending(event)
        event.save()
    return event


def _resolve_pending(event: AuditEvent) -> None:
    pending = getattr(event, "_pending_case", None)
    if pending is not None and event.case_id is None:
        event.case_id = pending.pk


def cases_export_record(*, actor, fmt: str, filters: dict, rows: int) -> AuditEvent:
    """Record that someone took a list of cases out of the system: who, in which format, with
    which filters (as text) and how many cases."""
    with transaction.atomic(), audit_batch():
        return audit_record(
            action=Action.CASES_EXPORTED,
            actor=actor,
            context={"format": fmt, "filters": {k: str(v) for k, v in filters.items()}, "rows": rows},
        )
