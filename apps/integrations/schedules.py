"""The schedules this app needs, declared in code. Safe to run any number of times."""

from django.db import DEFAULT_DB_ALIAS, connections

RETRY_SCHEDULE = "webhook-retry"
RETRY_FUNC = "apps.integrations.tasks.retry_due"


def ensure_schedules(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Declare the webhook retry sweep: every minute, forever. Updates it in place if it drifted."""
    from django_q.models import Schedule

    wanted = {"func": RETRY_FUNC, "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1}
    schedules = Schedule.objects.using(using)
    # NOTE: django-q2 does not make schedule names unique; keep the oldest, drop duplicates.
    existing = list(schedules.filter(name=RETRY_SCHEDULE).order_by("pk"))
    if not existing:
        schedules.create(name=RETRY_SCHEDULE, **wanted)
        return
    first, extra = existing[0], existing[1:]
    if extra:
        schedules.filter(pk__in=[s.pk for s in extra]).delete()
    if any(getattr(first, field) != value for field, value in wanted.items()):
        schedules.filter(pk=first.pk).update(**wanted)


def ensure_schedules_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    from django_q.models import Schedule

    if Schedule._meta.db_table in connections[using].introspection.table_names():
        ensure_schedules(using=using)
