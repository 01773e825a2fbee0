"""The daily review reminder, declared in code."""

from datetime import datetime, time, timedelta

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from apps.core.schedules import after_migrate, schedule_periodic

REVIEW_SCHEDULE, REVIEW_FUNC = "review-reminders", "apps.builder.tasks.review_reminders"


def _tomorrow_morning():
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=1), time(7, 0)))


def ensure_schedules(*, using: str = DEFAULT_DB_ALIAS) -> None:
    from django_q.models import Schedule

    schedule_periodic(
        name=REVIEW_SCHEDULE,
        func=REVIEW_FUNC,
        schedule_type=Schedule.DAILY,
        next_run=_tomorrow_morning(),
        using=using,
    )


ensure_schedules_after_migrate = after_migrate(ensure_schedules)
