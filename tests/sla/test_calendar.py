"""Business-hours arithmetic: weekends, holidays, closures, outside hours, DST, the inverse, long spans.

Fixed dates throughout (2026-12 / 2027 in Europe/Berlin, holidays of Germany-Berlin)."""

import time as clock
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from apps.sla.calendar import (
    MSG_NAIVE,
    add_business_hours,
    add_calendar_hours,
    business_hours_between,
    days_off,
    next_working_moment,
    public_holidays,
)
from apps.sla.models import BusinessCalendar
from apps.sla.selectors import calendar_fallback

BERLIN = ZoneInfo("Europe/Berlin")


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=BERLIN)


def berlin(**overrides) -> BusinessCalendar:
    """Unsaved: the arithmetic needs no database."""
    values = {
        "name": "Berlin",
        "time_zone": "Europe/Berlin",
        "working_days": [0, 1, 2, 3, 4],
        "day_start": time(9),
        "day_end": time(17),
        "country": "DE",
        "subdivision": "BE",
        "closures": [],
    }
    return BusinessCalendar(**(values | overrides))


def add(calendar, start, hours):
    return add_business_hours(calendar=calendar, start=start, hours=hours)


def between(calendar, start, end):
    return business_hours_between(calendar=calendar, start=start, end=end)


# --- within a day, weekends, holidays, closures ------------------------------------------------


def test_within_one_day():
    assert add(berlin(), at(2026, 12, 1, 10), 3) == at(2026, 12, 1, 13)  # Tuesday


def test_work_ending_at_closing_time_is_due_at_closing_not_next_morning():
    assert add(berlin(), at(2026, 12, 1, 9), 8) == at(2026, 12, 1, 17)


def test_across_a_weekend():
    # Friday 15:00 + 4h: 2h on Friday, 2h on Monday
    assert add(berlin(), at(2026, 12, 4, 15), 4) == at(2026, 12, 7, 11)
    assert between(berlin(), at(2026, 12, 4, 15), at(2026, 12, 7, 11)) == 4.0


def test_across_christmas_and_new_year():
    # Wed 23 Dec 2026 16:00 + 10h: 1h Wed, 8h Thu 24 (a working day in Berlin), skip Fri 25 and
    # Sat 26 (holidays) and Sunday, 1h Mon 28.
    assert add(berlin(), at(2026, 12, 23, 16), 10) == at(2026, 12, 28, 10)
    # Thu 31 Dec 16:00 + 2h: Fri 1 Jan 2027 is New Year's Day, so Monday 4 Jan 10:00.
    assert add(berlin(), at(2026, 12, 31, 16), 2) == at(2027, 1, 4, 10)


def test_a_region_has_its_own_holidays():
    # 8 March is Women's Day in Berlin only; Bavaria works.
    assert add(berlin(), at(2027, 3, 5, 16), 2) == at(2027, 3, 9, 10)
    assert add(berlin(subdivision="BY"), at(2027, 3, 5, 16), 2) == at(2027, 3, 8, 10)


def test_without_a_country_there_are_no_public_holidays():
    assert add(berlin(country="", subdivision=""), at(2026, 12, 24, 16), 2) == at(2026, 12, 25, 10)


def test_a_closure_day_is_skipped():
    calendar = berlin(closures=["2026-12-02"])
    assert add(calendar, at(2026, 12, 1, 16), 2) == at(2026, 12, 3, 10)
    assert between(calendar, at(2026, 12, 1, 16), at(2026, 12, 3, 10)) == 2.0
    assert add(berlin(), at(2026, 12, 1, 16), 2) == at(2026, 12, 2, 10)


def test_custom_working_week_and_hours():
    # Sunday to Thursday, 08:00-12:30
    calendar = berlin(working_days=[6, 0, 1, 2, 3], day_start=time(8), day_end=time(12, 30), country="")
    assert add(calendar, at(2026, 12, 3, 12), 1) == at(2026, 12, 6, 8, 30)  # Thursday -> Sunday


# --- starting outside working time ------------------------------------------------------------


@pytest.mark.parametrize(
    "start, due",
    [
        (at(2026, 12, 1, 7, 30), at(2026, 12, 1, 11)),  # before opening: from 09:00
        (at(2026, 12, 1, 18), at(2026, 12, 2, 11)),  # after closing: from tomorrow 09:00
        (at(2026, 12, 1, 17), at(2026, 12, 2, 11)),  # at closing time
        (at(2026, 12, 6, 12), at(2026, 12, 7, 11)),  # on Sunday: from Monday 09:00
        (at(2026, 12, 25, 10), at(2026, 12, 28, 11)),  # on Christmas Day
    ],
)
def test_a_start_outside_working_time_counts_from_the_next_working_moment(start, due):
    assert add(berlin(), start, 2) == due
    assert between(berlin(), start, due) == 2.0


def test_next_working_moment():
    assert next_working_moment(calendar=berlin(), at=at(2026, 12, 1, 10)) == at(2026, 12, 1, 10)
    assert next_working_moment(calendar=berlin(), at=at(2026, 12, 5, 10)) == at(2026, 12, 7, 9)


# --- zero, negative, naive --------------------------------------------------------------------


def test_zero_hours_returns_the_start_unchanged_even_outside_working_time():
    sunday = at(2026, 12, 6, 12)
    assert add(berlin(), sunday, 0) == sunday
    assert add(berlin(), sunday, Decimal("0.00")) == sunday
    assert between(berlin(), sunday, sunday) == 0


def test_negative_hours_count_backwards_from_the_last_working_moment():
    assert add(berlin(), at(2026, 12, 1, 12), -2) == at(2026, 12, 1, 10)
    assert add(berlin(), at(2026, 12, 1, 9), -8) == at(2026, 11, 30, 9)  # opening, not Friday 17:00
    assert add(berlin(), at(2026, 12, 7, 10), -3) == at(2026, 12, 4, 15)  # Monday back to Friday
    assert add(berlin(), at(2026, 12, 6, 12), -1) == at(2026, 12, 4, 16)  # from Sunday
    assert add(berlin(), at(2026, 12, 28, 10), -10) == at(2026, 12, 23, 16)  # back over Christmas
    # the inverse, backwards
    for hours in (0.5, 8, 13, 80):
        end = at(2027, 1, 4, 11)
        assert between(berlin(), add(berlin(), end, -hours), end) == hours


def test_end_before_start_is_zero_hours():
    assert between(berlin(), at(2026, 12, 2, 10), at(2026, 12, 1, 10)) == 0


def test_naive_datetimes_are_refused():
    naive = datetime(2026, 12, 1, 10)
    with pytest.raises(ValueError, match="aware datetime"):
        add(berlin(), naive, 1)
    with pytest.raises(ValueError, match="aware datetime"):
        between(berlin(), naive, at(2026, 12, 1, 12))
    assert "time zone" in MSG_NAIVE


def test_a_calendar_without_working_time_is_refused_not_looped_forever():
    with pytest.raises(ValueError, match="no working time"):
        add(berlin(working_days=[]), at(2026, 12, 1, 10), 1)


# --- time zones and DST -----------------------------------------------------------------------


def test_any_input_zone_result_in_utc():
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)  # 10:00 in Berlin
    due = add(berlin(), start, 1)
    assert due == at(2026, 12, 1, 11) and due.tzinfo == UTC
    assert add(berlin(), at(2026, 12, 6, 12), 0).tzinfo == UTC


@pytest.mark.parametrize(
    "start, due",
    [
        # autumn: clocks go back on Sunday 2026-10-25; Friday 15:00 + 4h is Monday 11:00 (CET)
        (at(2026, 10, 23, 15), at(2026, 10, 26, 11)),
        # spring: clocks go forward on Sunday 2027-03-28 (Friday 26 is Good Friday, so Thursday)
        (at(2027, 3, 25, 15), at(2027, 3, 30, 11)),  # Easter Monday 29 is a holiday too
    ],
)
def test_dst_weekends_keep_wall_clock_hours(start, due):
    assert add(berlin(), start, 4) == due
    assert due.astimezone(BERLIN).hour == 11 and due.astimezone(BERLIN).utcoffset() != start.utcoffset()
    assert between(berlin(), start, due) == 4.0


def test_a_working_day_spanning_the_clock_change_counts_real_hours():
    # working every day 00:00-23:00: on 25 Oct 2026 that window is 24 real hours, on 28 Mar 2027 it is 22
    calendar = berlin(working_days=list(range(7)), day_start=time(0), day_end=time(23), country="")
    assert between(calendar, at(2026, 10, 25, 0), at(2026, 10, 25, 23)) == 24.0
    assert between(calendar, at(2027, 3, 28, 0), at(2027, 3, 28, 23)) == 22.0
    # three real hours after midnight CEST is the second 02:00 of the night (CET)
    due = add(calendar, at(2026, 10, 25, 0), 3)
    assert due == datetime(2026, 10, 25, 1, tzinfo=UTC)
    assert (due.astimezone(BERLIN).hour, due.astimezone(BERLIN).fold) == (2, 1)


def test_fallback_calendar_is_utc_mon_to_fri_nine_to_five():
    fallback = calendar_fallback()
    start = datetime(2026, 12, 25, 16, tzinfo=UTC)  # Christmas, but the fallback knows no holidays
    assert add(fallback, start, 2) == datetime(2026, 12, 28, 10, tzinfo=UTC)
    assert fallback.pk is None


# --- the inverse, long spans, speed -----------------------------------------------------------


def test_between_is_the_exact_inverse_of_add_over_many_starts():
    calendar = berlin(closures=["2026-12-30", "2027-01-05"])
    base = at(2026, 10, 20, 0)
    checked = 0
    for step in range(0, 24 * 200, 17):  # every 17 hours across DST, Christmas, New Year
        start = base + timedelta(hours=step, minutes=step % 60)
        for hours in (Decimal("0.25"), 1, 7.5, 8, 13, Decimal("40"), 80, 1.7):
            due = add(calendar, start, hours)
            assert due >= start
            assert between(calendar, start, due) == pytest.approx(float(hours), abs=1e-12), (start, hours, due)
            checked += 1
    assert checked > 2000


def test_between_adds_up_over_adjacent_spans():
    calendar = berlin()
    a, b, c = at(2026, 12, 18, 11), at(2026, 12, 24, 13, 30), at(2027, 1, 7, 10)
    assert between(calendar, a, b) + between(calendar, b, c) == pytest.approx(between(calendar, a, c))


def test_ten_business_days_land_on_the_right_day():
    # Monday 2 Nov 2026 09:00 + 80h = two full working weeks: Friday 13 Nov 17:00
    assert add(berlin(), at(2026, 11, 2, 9), 80) == at(2026, 11, 13, 17)
    # across Christmas: Mon 21 Dec 09:00 + 80h skips 25 Dec, 1 Jan: Tue 5 Jan 2027 17:00
    assert add(berlin(), at(2026, 12, 21, 9), 80) == at(2027, 1, 5, 17)


def test_long_spans_are_fast():
    calendar = berlin()
    began = clock.perf_counter()
    for _ in range(200):
        due = add(calendar, at(2026, 12, 1, 10), 80)
        between(calendar, at(2026, 12, 1, 10), due)
    year = add(calendar, at(2026, 1, 5, 9), 8 * 250)  # 250 working days, counted by hand in Berlin 2026
    assert between(calendar, at(2026, 1, 5, 9), year) == 2000.0
    assert clock.perf_counter() - began < 1.0
    assert year == at(2026, 12, 28, 17)


def test_holidays_are_cached_per_country_region_and_year():
    public_holidays.cache_clear()
    for _ in range(3):
        add(berlin(), at(2026, 12, 23, 10), 24)
    info = public_holidays.cache_info()
    assert info.misses <= 2 and info.hits > 10


def test_calendar_hours_ignore_the_calendar():
    start = at(2026, 10, 24, 12)
    assert add_calendar_hours(start, 24) - start == timedelta(hours=24)
    assert add_calendar_hours(start, Decimal("1.5")) == start + timedelta(minutes=90)


def test_days_off_lists_holidays_and_closures_in_order():
    found = days_off(calendar=berlin(closures=["2026-12-28"]), after=date(2026, 12, 20), limit=4)
    assert [(d.isoformat(), why) for d, why, _ in found] == [
        ("2026-12-25", "Christmas Day"),
        ("2026-12-26", "Second Day of Christmas"),
        ("2026-12-28", "Closed"),
        ("2027-01-01", "New Year's Day"),
    ]
    assert [on_workday for *_, on_workday in found] == [True, False, True, True]
