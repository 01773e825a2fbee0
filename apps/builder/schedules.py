"""The daily review reminder, declared in code."""

from datetime import time

from django.db import DEFAULT_DB_ALIAS

from apps.core.schedules import after_migrate, schedule_daily

REVIEW_SCHEDULE, REVIEW_FUNC = "review-reminders", "apps.builder.tasks.review_reminders"


def ensure_schedules(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """The reminders go out every morning at 07:00 (installation time)."""
    schedule_daily(name=REVIEW_SCHEDULE, func=REVIEW_FUNC, at=time(7, 0), using=using)


ensure_schedules_after_migrate = after_migrate(ensure_schedules)
