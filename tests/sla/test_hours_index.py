"""The business-hours index (apps.sla.hours_index) answers exactly as business_hours_between, on
the calendars the dashboards use: holidays, closures, DST nights, weekends, moments in and out
of working time."""

import random
from datetime import UTC, datetime, time, timedelta

from apps.sla.calendar import business_hours_between
from apps.sla.hours_index import BusinessHoursIndex
from apps.sla.models import BusinessCalendar


def berlin():
    return BusinessCalendar(
        name="Berlin",
        time_zone="Europe/Berlin",
        working_days=[0, 1, 2, 3, 4],
        day_start=time(9),
        day_end=time(17, 30),
        country="DE",
        subdivision="BE",
        closures=["2026-12-24", "2026-03-30"],
    )


def test_the_index_equals_business_hours_between_to_the_microsecond():
    calendar, rng = berlin(), random.Random(13)
    index = BusinessHoursIndex(calendar)
    origin = datetime(2026, 3, 20, tzinfo=UTC)  # spans the March DST change, Easter, a closure
    for _ in range(600):
        start = origin + timedelta(minutes=rng.randrange(0, 60 * 24 * 300), microseconds=rng.randrange(10**6))
        end = start + timedelta(minutes=rng.randrange(-600, 60 * 24 * 40))
        assert index.hours(start, end) == business_hours_between(calendar=calendar, start=start, end=end), (start, end)


def test_the_index_counts_working_time_only():
    index = BusinessHoursIndex(berlin())
    friday_noon = datetime(2026, 11, 6, 11, tzinfo=UTC)  # 12:00 in Berlin
    monday_noon = datetime(2026, 11, 9, 11, tzinfo=UTC)
    assert index.hours(friday_noon, monday_noon) == 8.5  # Friday 12:00-17:30, Monday 09:00-12:00
    assert index.hours(monday_noon, friday_noon) == 0.0
