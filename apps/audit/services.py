"""Writing the audit trail. Every state-changing service calls `audit_record` inside its
transaction; `audit_batch` collects the rows of one service call into a single INSERT and is the
call's unit of work for the outbox (one queue message for its after-commit effects). Each write
links its events into the hash chain (apps.audit.chain) under the chain's lock."""

import threading
from contextlib import contextmanager
from datetime import UTC, date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from apps.core.actors import actor_label
from apps.core.outbox import unit_of_work

from .chain import chain_heads, chain_link, verify_database
from .models import Action, AuditEvent, ChainHead, ChainVerification

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
                chain_link(events)  # one lock and one read of the heads per batch
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
        chain_link([event])
        event.save()
    return event


def _resolve_pending(event: AuditEvent) -> None:
    pending = getattr(event, "_pending_case", None)
    if pending is not None and event.case_id is None:
        event.case_id = pending.pk


def export_record(*, action: str, actor, fmt: str, filters: dict, rows: int) -> AuditEvent:
    """Record that someone took a list out of the system: who, in which format, with which
    filters (as text) and how many rows."""
    with transaction.atomic(), audit_batch():
        return audit_record(
            action=action,
            actor=actor,
            context={"format": fmt, "filters": {k: str(v) for k, v in filters.items()}, "rows": rows},
        )


def cases_export_record(*, actor, fmt: str, filters: dict, rows: int) -> AuditEvent:
    """A list of cases taken out of the system (the auditors' case export)."""
    return export_record(action=Action.CASES_EXPORTED, actor=actor, fmt=fmt, filters=filters, rows=rows)


def chain_heads_record(*, day_to=None) -> list[ChainHead]:
    """Write the chain heads of the finished (UTC) days up to `day_to` (yesterday by default) that
    the evidence log does not hold yet. A recorded head is never rewritten: a later mismatch is
    the evidence. Run by the daily verification and by an export."""
    yesterday = timezone.now().astimezone(UTC).date() - timedelta(days=1)
    day_to = min(day_to or yesterday, yesterday)
    last = ChainHead.objects.order_by("-day").values_list("day", flat=True).first()
    if last is not None:
        day_from = last + timedelta(days=1)
    else:  # nothing recorded yet: from the day of the first event, if there is one
        first_event = AuditEvent.objects.order_by("seq").values_list("at", flat=True).first()
        if first_event is None:
            return []
        day_from = first_event.astimezone(UTC).date()
    if day_from > day_to:
        return []
    heads = [
        ChainHead(day=date.fromisoformat(h["day"]), seq=h["seq"], hash=h["hash"])
        for h in chain_heads(day_from=day_from, day_to=day_to)
    ]
    with transaction.atomic():
        ChainHead.objects.bulk_create(heads, ignore_conflicts=True)
    return heads


def chain_verify(*, moment_from=None, moment_to=None) -> ChainVerification:
    """Verify the chain (all of it by default), record the result and, when the whole chain is
    intact, the heads of the finished days. The caller tells people about a failure."""
    report = verify_database(moment_from=moment_from, moment_to=moment_to)
    message = report.message
    if moment_from or moment_to:
        since = moment_from.isoformat() if moment_from else "the start"
        until = moment_to.isoformat() if moment_to else "now"
        message = f"{message} (events written from {since} until {until})"
    with transaction.atomic():
        verification = ChainVerification.objects.create(
            ok=report.ok,
            count=report.count,
            message=message,
            break_seq=report.first_break.seq if report.first_break else None,
            break_how=report.first_break.how if report.first_break else "",
        )
    if report.ok and not (moment_from or moment_to):
        chain_heads_record()
    return verification
