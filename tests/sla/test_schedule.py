from django.core.management import call_command
from django_q.models import Schedule

from apps.sla.schedules import SWEEP_FUNC, SWEEP_SCHEDULE, ensure_schedules


def test_the_sweep_is_scheduled_every_minute_once(db):
    ensure_schedules()
    ensure_schedules()
    (schedule,) = Schedule.objects.filter(name=SWEEP_SCHEDULE)
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (SWEEP_FUNC, Schedule.MINUTES, 1)


def test_the_q2_task_runs_the_sweep(start_purchase):
    from apps.sla.tasks import sweep

    start_purchase()
    assert sweep() == 0  # nothing due yet
    call_command("sla_sweep", "--dry-run")
