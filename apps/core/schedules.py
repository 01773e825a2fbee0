"""Background schedules are declared in code, idempotently: each app names its own, this
module keeps exactly one django-q2 Schedule per name in the shape the app asked for."""

from datetime import datetime, time, timedelta

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone


def schedule_every_minute(*, name: str, func: str, using: str = DEFAULT_DB_ALIAS) -> None:
    """Declare `func` to run every minute, forever; repair it in place if it drifted."""
    from django_q.models import Schedule

    wanted = {"func": func, "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1}
    schedules = Schedule.objects.using(using)
    # NOTE: django-q2 does not make schedule names unique; keep the oldest, drop duplicates.
    existing = list(schedules.filter(name=name).order_by("pk"))
    if not existing:
        schedules.create(name=name, **wanted)
        return
    first, extra = existing[0], existing[1:]
    if extra:
        schedules.filter(pk__in=[s.pk for s in extra]).delete()
    if any(getattr(first, field) != value for field, value in wanted.items()):
        schedules.filter(pk=first.pk).update(**wanted)


def schedule_periodic(
    *, name: str, func: str, schedule_type: str, next_run=None, using: str = DEFAULT_DB_ALIAS
) -> None:
    """Declare `func` to run hourly, daily or weekly (django_q Schedule.HOURLY, DAILY, WEEKLY),
    forever, first at `next_run`; repair its type in place if it drifted (its next run stays)."""
    from django_q.models import Schedule

    wanted = {"func": func, "schedule_type": schedule_type, "repeats": -1}
    schedules = Schedule.objects.using(using)
    existing = list(schedules.filter(name=name).order_by("pk"))
    if not existing:
        schedules.create(name=name, **wanted, **({"next_run": next_run} if next_run else {}))
        return
    first, extra = existing[0], existing[1:]
    if extra:
        schedules.filter(pk__in=[s.pk for s in extra]).delete()
    if any(getattr(first, field) != value for field, value in wanted.items()):
        schedules.filter(pk=first.pk).update(**wanted)


def schedule_daily(*, name: str, func: str, at: time, using: str = DEFAULT_DB_ALIAS) -> None:
    """Declare `func` to run every day at `at` (installation time), first tomorrow at that time."""
    from django_q.models import Schedule

    first = timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=1), at))
    schedule_periodic(name=name, func=func, schedule_type=Schedule.DAILY, next_run=first, using=using)


def after_migrate(ensure):
    """A post_migrate receiver that runs `ensure(using=...)` once django-q2's table exists."""

    def receiver(sender, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
        from django_q.models import Schedule

        if Schedule._meta.db_table in connections[using].introspection.table_names():
            ensure(using=using)

    return receiver
