"""The alert check (hourly) and the weekly digest (Monday morning), declared in code."""

from datetime import datetime, time, timedelta

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from apps.core.schedules import after_migrate, schedule_periodic

CHECK_SCHEDULE, CHECK_FUNC = "alerts-check", "apps.alerts.tasks.check"
DIGEST_SCHEDULE, DIGEST_FUNC = "weekly-digest", "apps.alerts.tasks.digest"


def _next_monday_morning():
    today = timezone.localdate()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    return timezone.make_aware(datetime.combine(monday, time(7, 0)))


def ensure_schedules(*, using: str = DEFAULT_DB_ALIAS) -> None:
    from django_q.models import Schedule

    schedule_periodic(name=CHECK_SCHEDULE, func=CHECK_FUNC, schedule_type=Schedule.HOURLY, using=using)
    schedule_periodic(
        name=DIGEST_SCHEDULE,
        func=DIGEST_FUNC,
        schedule_type=Schedule.WEEKLY,
        next_run=_next_monday_morning(),
        using=using,
    )


ensure_schedules_after_migrate = after_migrate(ensure_schedules)
