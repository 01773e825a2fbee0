"""The schedules this app needs, declared in code. Safe to run any number of times."""

from django.db import DEFAULT_DB_ALIAS

from apps.core.schedules import after_migrate, schedule_every_minute

RETRY_SCHEDULE = "webhook-retry"
RETRY_FUNC = "apps.integrations.tasks.retry_due"


def ensure_schedules(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Declare the webhook retry sweep: every minute, forever. (The step sweep is apps.automation's.)"""
    schedule_every_minute(name=RETRY_SCHEDULE, func=RETRY_FUNC, using=using)


ensure_schedules_after_migrate = after_migrate(ensure_schedules)
