"""The sweep runs every minute in django-q2; declared here, idempotently."""

from django_q.models import Schedule

SWEEP = "sla-sweep"


def ensure_schedules() -> None:
    Schedule.objects.update_or_create(
        name=SWEEP,
        defaults={"func": "apps.sla.tasks.sweep", "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1},
    )
