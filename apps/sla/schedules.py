"""The schedules this app needs, declared in code. Safe to run any number of times."""

from django.db import DEFAULT_DB_ALIAS

from apps.core.schedules import after_migrate, schedule_every_minute

SWEEP_SCHEDULE = "sla-sweep"
SWEEP_FUNC = "apps.sla.tasks.sweep"


def ensure_schedules(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Declare the SLA sweep: every minute, forever."""
    schedule_every_minute(name=SWEEP_SCHEDULE, func=SWEEP_FUNC, using=using)


ensure_schedules_after_migrate = after_migrate(ensure_schedules)
