"""The django-q2 schedule that starts recurring workflows, declared in code. Safe to run any number of times."""

from django.db import DEFAULT_DB_ALIAS

from apps.core.schedules import after_migrate, schedule_every_minute

RUN_SCHEDULE = "recurring-workflows"
RUN_FUNC = "apps.schedules.tasks.run_due"


def ensure_schedules(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Every minute the worker starts the workflow runs that are due."""
    schedule_every_minute(name=RUN_SCHEDULE, func=RUN_FUNC, using=using)


ensure_schedules_after_migrate = after_migrate(ensure_schedules)
