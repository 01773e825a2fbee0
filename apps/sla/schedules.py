"""The SLA sweep runs every minute in django-q2; declared here, idempotently, after migrate."""

from django.db import DEFAULT_DB_ALIAS, connections

SWEEP_SCHEDULE = "sla-sweep"
SWEEP_FUNC = "apps.sla.tasks.sweep"


def ensure_schedules(*, using: str = DEFAULT_DB_ALIAS) -> None:
    from django_q.models import Schedule

    wanted = {"func": SWEEP_FUNC, "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1}
    existing = list(Schedule.objects.using(using).filter(name=SWEEP_SCHEDULE).order_by("pk"))
    if not existing:
        Schedule.objects.using(using).create(name=SWEEP_SCHEDULE, **wanted)
        return
    Schedule.objects.using(using).filter(pk__in=[s.pk for s in existing[1:]]).delete()
    Schedule.objects.using(using).filter(pk=existing[0].pk).update(**wanted)


def ensure_schedules_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    from django_q.models import Schedule

    if Schedule._meta.db_table in connections[using].introspection.table_names():
        ensure_schedules(using=using)
