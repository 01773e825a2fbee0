"""The SLA sweep: fire every level that is due, exactly once, in order.

It reads only clocks whose next level is due (`next_fire_at`, indexed), so its cost follows
the number of due items, not of open tasks. Each clock is handled in its own transaction
under a row lock taken with SKIP LOCKED: two sweepers running at once share the work and
never fire the same level twice. A clock whose task or case is already finished stops
quietly: work finished in time never escalates.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from apps.audit.services import audit_batch
from apps.cases.policy import task_is_open

from .actions import fire
from .clocks import clock_settle, when
from .models import SlaClock

BATCH = 500
# Actions that change who holds the task, and the one that ends the case.
REASSIGNING = {"escalate", "reroute"}
CLOSING = {"auto_close"}


@dataclass
class Firing:
    clock_id: int
    case_id: int
    task_id: int | None
    kind: str
    level: int
    action: str
    at: str
    outcome: str = "would fire"


def _lock(clock_id: int, now: datetime):
    queryset = SlaClock.objects.select_related("case__version", "case__requester", "task__owner").filter(
        pk=clock_id, next_fire_at__lte=now
    )
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset.first()


def _still_waiting(clock: SlaClock) -> bool:
    if not clock.case.is_open:
        return False
    return clock.task is None or task_is_open(clock.task)


def _sweep_clock(clock_id: int, now: datetime, *, dry_run: bool) -> list[Firing]:
    firings = []
    with transaction.atomic(), audit_batch():
        clock = (
            _lock(clock_id, now)
            if not dry_run
            else SlaClock.objects.select_related("case", "task").filter(pk=clock_id).first()
        )
        if clock is None:
            return firings  # another sweeper holds it, or already swept
        if not _still_waiting(clock):
            if not dry_run:
                clock.next_fire_at, clock.stopped_at = None, now
                fields = ["next_fire_at", "stopped_at"]
                if clock.counted_at is None:  # ended without the engine telling (should not happen)
                    ended = clock.task.finished if clock.task is not None else clock.case.finished
                    clock_settle(clock, end=ended or now)
                    fields += ["counted_at", "result"]
                clock.save(update_fields=fields)
            return firings
        index, closed, breached = clock.next_level, False, False
        while index < len(clock.levels) and when(clock.levels[index]) <= now:
            level = clock.levels[index]
            firing = Firing(clock.pk, clock.case_id, clock.task_id, clock.kind, index + 1, level["action"], level["at"])
            if not dry_run:
                clock.next_level = index
                firing.outcome = fire(clock, level, clock.task)
                if level["action"] == "breach":
                    clock.breached_at = now
                    breached = clock.counted_at is None
                    clock_settle(clock, end=now)  # counted at the mark, as breached
                elif level["action"] in REASSIGNING and clock.task is not None:
                    clock.task.refresh_from_db()  # the next level acts on the new owner
                closed = level["action"] in CLOSING
            firings.append(firing)
            index += 1
            if closed:
                break
        if not dry_run:
            clock.next_level = index
            clock.next_fire_at = when(clock.levels[index]) if index < len(clock.levels) and not closed else None
            clock.stopped_at = now if closed else None
            clock.last_fired_at = when(clock.levels[index - 1]) if index else None
            fields = ["next_level", "next_fire_at", "breached_at", "stopped_at", "last_fired_at"]
            # NOTE: only what this sweep settled: a level that closed the case settled the clock
            # in the database already (receivers.py), and this object does not know it.
            clock.save(update_fields=fields + (["counted_at", "result"] if breached else []))
    return firings


def sla_sweep(*, at: datetime | None = None, dry_run: bool = False, batch: int = BATCH) -> list[Firing]:
    """Fire every due level as if the time were `at` (now by default); return what fired."""
    now = at or timezone.now()
    firings: list[Firing] = []
    while True:
        due = list(
            SlaClock.objects.filter(next_fire_at__lte=now)
            .order_by("next_fire_at", "pk")
            .values_list("pk", flat=True)[:batch]
        )
        for clock_id in due:
            firings.extend(_sweep_clock(clock_id, now, dry_run=dry_run))
        if dry_run or len(due) < batch:
            return firings
