"""Heartbeats of the background jobs: written by the job at the end of a good run, read by the
health checks and the metrics (apps.ops). See models.Heartbeat for why a table."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Heartbeat

# The names are the jobs' schedule names (apps.sla.schedules, apps.automation.schedules, apps.ops).
WORKER = "worker"
SLA_SWEEP = "sla-sweep"
STEP_SWEEP = "step-retry"


def heartbeat_beat(*, name: str, at: datetime | None = None) -> None:
    """Record that `name` ran now: one UPDATE (an INSERT only the very first time)."""
    at = at or timezone.now()
    if Heartbeat.objects.filter(name=name).update(at=at):
        return
    try:
        with transaction.atomic():
            Heartbeat.objects.create(name=name, at=at)
    except IntegrityError:  # another process wrote the first row meanwhile
        Heartbeat.objects.filter(name=name).update(at=at)


def heartbeat_times() -> dict[str, datetime]:
    """When each job last beat, by name (one query)."""
    return dict(Heartbeat.objects.values_list("name", "at"))
