"""The worker's heartbeat, declared in code. Safe to run any number of times."""

from django.db import DEFAULT_DB_ALIAS

from apps.core.schedules import after_migrate, schedule_every_minute

HEARTBEAT_SCHEDULE = "worker-heartbeat"
HEARTBEAT_FUNC = "apps.ops.tasks.heartbeat"


def ensure_schedules(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Declare the worker's heartbeat: every minute, forever."""
    schedule_every_minute(name=HEARTBEAT_SCHEDULE, func=HEARTBEAT_FUNC, using=using)


ensure_schedules_after_migrate = after_migrate(ensure_schedules)
