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


def test_latest_start_splits_starts_into_at_least_and_under_an_age():
    """An age bucket counts the cases started at or before latest_start(now, hours) (the
    dashboard's aging panel counts them in the database that way): exactly those are at least
    that many business hours old, across weekends, holidays and the DST night."""
    calendar, rng = berlin(), random.Random(7)
    index = BusinessHoursIndex(calendar)
    origin = datetime(2026, 3, 20, tzinfo=UTC)
    for _ in range(300):
        end = origin + timedelta(minutes=rng.randrange(60 * 24 * 20, 60 * 24 * 300))
        hours = rng.choice([0, 8, 24, 40, 80, 0.5, 13.25])
        cut = index.latest_start(end, hours)
        assert cut <= end
        assert index.hours(cut, end) >= hours, (end, hours, cut)
        assert index.hours(cut + timedelta(microseconds=1), end) < hours or hours == 0, (end, hours, cut)
        for _ in range(5):
            start = end - timedelta(minutes=rng.randrange(0, 60 * 24 * 30))
            assert (index.hours(start, end) >= hours) == (start <= cut), (start, end, hours, cut)


def test_latest_start_on_a_weekend_reaches_back_to_friday():
    index = BusinessHoursIndex(berlin())
    sunday_noon = datetime(2026, 11, 8, 11, tzinfo=UTC)
    # Eight business hours before a Sunday: Friday at 09:30 Berlin (08:30 UTC), 17:30 - 8 h.
    assert index.latest_start(sunday_noon, 8) == datetime(2026, 11, 6, 8, 30, tzinfo=UTC)
    assert index.latest_start(sunday_noon, 0) == sunday_noon
