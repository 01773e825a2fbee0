"""Two schedulers at the same moment on PostgreSQL: each period starts one case."""

from apps.cases.models import Case
from apps.schedules.models import ScheduleRun
from apps.schedules.services import schedules_run_due
from tests.concurrency import POSTGRES_ONLY, run_together

from .conftest import berlin

pytestmark = POSTGRES_ONLY


def test_two_concurrent_schedulers_start_each_period_once(make_schedule):
    schedule = make_schedule(at=berlin(2026, 11, 30, 8, 0))
    moment = berlin(2026, 12, 2, 9, 0, 30)  # three periods due

    results = run_together(lambda: schedules_run_due(at=moment), lambda: schedules_run_due(at=moment))

    assert not [r for r in results if isinstance(r, Exception)], results
    runs = [run for result in results for run in result]
    assert sorted(r.period_key for r in runs) == ["2026-11-30T08:00Z", "2026-12-01T08:00Z", "2026-12-02T08:00Z"]
    assert ScheduleRun.objects.filter(schedule=schedule).count() == 3
    assert Case.objects.filter(pk__in=[r.case_id for r in runs]).count() == 3
