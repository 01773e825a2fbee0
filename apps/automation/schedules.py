"""The schedules automated steps need, declared in code. Safe to run any number of times."""

from django.db import DEFAULT_DB_ALIAS

from apps.core.schedules import after_migrate, schedule_every_minute

# NOTE: the name is the one apps.integrations declared: a database that has the schedule gets its
# `func` repaired in place (schedule_every_minute), not a second sweep.
STEPS_SCHEDULE = "step-retry"
STEPS_FUNC = "apps.automation.tasks.steps_due"


def ensure_schedules(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Declare the step retry sweep: every minute, forever."""
    schedule_every_minute(name=STEPS_SCHEDULE, func=STEPS_FUNC, using=using)


ensure_schedules_after_migrate = after_migrate(ensure_schedules)
