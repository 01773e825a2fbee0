"""The retry sweep shared by every outbox (e-mail notifications, webhook deliveries)."""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

SWEEP_LEASE = timedelta(minutes=5)
SWEEP_BATCH = 500


def enqueue_after_commit(enqueue: Callable[[list[int]], None], ids: list[int]) -> None:
    """Call `enqueue(ids)` once the transaction commits; a failure there is logged, never raised.

    NOTE: a named function, not a functools.partial: when the callback fails (the broker or the
    database is away), Django's robust on_commit logs `func.__qualname__`, which a partial lacks,
    so an AttributeError escaped from the commit of a transaction that did commit. A lost queue
    message is harmless (the outbox sweep queues the row again after its grace period); that error
    is not."""

    def enqueue_committed() -> None:
        enqueue(ids)

    transaction.on_commit(enqueue_committed, robust=True)


def outbox_lease_due(*, queryset, at: datetime, enqueue: Callable[[list[int]], None]) -> int:
    """Take the rows of `queryset` whose `next_attempt_at` has come, push their next attempt a
    lease further (so the next sweep does not queue them again), and queue them after commit.

    Rows locked by a concurrent sweep are skipped, so sweeps may run at the same time.
    Returns how many rows were queued.
    """
    with transaction.atomic():
        due = list(
            queryset.select_for_update(skip_locked=True)
            .filter(next_attempt_at__lte=at)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        if due:
            queryset.model.objects.filter(pk__in=due).update(next_attempt_at=max(at, timezone.now()) + SWEEP_LEASE)
            enqueue_after_commit(enqueue, due)
    return len(due)
