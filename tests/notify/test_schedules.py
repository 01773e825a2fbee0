"""The retry sweep is declared in code, once, whatever runs it again."""

from django_q.models import Schedule

from apps.notify.schedules import RETRY_FUNC, RETRY_SCHEDULE, ensure_schedules


def test_retry_schedule_is_declared_idempotently(db):
    Schedule.objects.filter(name=RETRY_SCHEDULE).delete()
    ensure_schedules()
    ensure_schedules()
    (schedule,) = Schedule.objects.filter(name=RETRY_SCHEDULE)
    assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        RETRY_FUNC,
        Schedule.MINUTES,
        1,
        -1,
    )


def test_drifted_or_duplicated_schedules_are_repaired(db):
    ensure_schedules()
    Schedule.objects.filter(name=RETRY_SCHEDULE).update(minutes=60)
    Schedule.objects.create(name=RETRY_SCHEDULE, func=RETRY_FUNC, schedule_type=Schedule.HOURLY)
    ensure_schedules()
    (schedule,) = Schedule.objects.filter(name=RETRY_SCHEDULE)
    assert schedule.minutes == 1 and schedule.schedule_type == Schedule.MINUTES


def test_migrate_declares_it(db):
    assert Schedule.objects.filter(name=RETRY_SCHEDULE, func=RETRY_FUNC).exists()
