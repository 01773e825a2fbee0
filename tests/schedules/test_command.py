"""`manage.py run_schedules [--at ISO]` and the every-minute django-q2 schedule that runs the same."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.schedules.models import ScheduleRun

from .conftest import berlin

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command("run_schedules", *args, stdout=out)
    return out.getvalue()


def test_the_command_starts_what_is_due_at_the_moment_given_and_says_so(make_schedule):
    schedule = make_schedule(at=berlin(2026, 11, 30, 8, 0))

    printed = _run("--at", "2026-12-01T09:05:00+01:00")

    run = ScheduleRun.objects.get(schedule=schedule, period_key="2026-12-01T08:00Z")
    assert f"schedule {schedule.pk} 'Daily order' period 2026-11-30T08:00Z LATE: case " in printed
    assert f"schedule {schedule.pk} 'Daily order' period 2026-12-01T08:00Z: case {run.case_id}" in printed
    assert "2 run(s) started, 0 could not start." in printed
    assert "0 run(s) started" in _run("--at", "2026-12-01T09:05:00+01:00")


def test_a_moment_that_is_not_iso_is_refused():
    with pytest.raises(CommandError, match="--at: 'tomorrow' is not an ISO-8601 moment."):
        _run("--at", "tomorrow")


def test_the_worker_runs_the_schedules_every_minute():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="recurring-workflows")
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "apps.schedules.tasks.run_due",
        Schedule.MINUTES,
        1,
    )
