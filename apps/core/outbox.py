"""The retry sweep shared by every outbox (e-mail notifications, webhook deliveries)."""

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

SWEEP_LEASE = timedelta(minutes=5)
SWEEP_BATCH = 500


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
            transaction.on_commit(partial(enqueue, due), robust=True)
    return len(due)
