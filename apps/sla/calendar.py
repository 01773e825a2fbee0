"""Business-hours arithmetic: the one implementation SLAs, aging and dashboards all use.

Rules (the tests in tests/sla/test_calendar.py pin each one down):

- Working time is, on each working day, the wall-clock window day_start..day_end in the calendar's
  time zone. A working day is a weekday in `working_days` that is neither a public holiday of
  `country`/`subdivision` (the `holidays` package) nor listed in `closures`.
- Elapsed business time is real time inside those windows, so on a DST weekend the windows keep
  their wall-clock edges and a working day stays 8 hours long.
- A start outside working time counts from the next working moment.
- Adding 0 hours returns the start instant unchanged (even outside working time): "due now" stays "now",
  and business_hours_between(t, t) == 0 keeps the pair exact inverses.
- Negative hours count backwards ("N business hours before T"), from the last working moment at or
  before T; so a clock resumed past its target gets a due moment in the past instead of an error.
- Work that ends exactly at closing time is due at closing time, not at the next opening (and,
  backwards, at opening time, not at the previous closing).
- Inputs must be aware (any zone); results are aware UTC datetimes. NOTE: not local ones on purpose:
  PEP 495 makes == between zones False for a wall time that occurs twice (the DST night), so a
  local result could compare unequal to the very instant it is. Convert for display only.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

MSG_NAIVE = "Give an aware datetime (with a time zone); got {value!r}."
MSG_NO_WORKING_TIME = "Calendar '{name}' has no working time: no working days, or the day ends before it starts."
MSG_TOO_FAR = "No answer within {years} years of calendar '{name}'; is every day a holiday or a closure?"

MICROSECONDS_PER_HOUR = 3600 * 10**6
SEARCH_YEARS = 100  # NOTE: the loops below give up after this many years rather than spin forever


@lru_cache(maxsize=512)
def public_holidays(country: str, subdivision: str, year: int) -> dict[date, str]:
    """Public holidays of one year, date -> name (cached; do not mutate the result)."""
    if not country:
        return {}
    found = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return dict(found.items())


def _as_time(value) -> time:
    # NOTE: an unsaved model keeps the field defaults as "09:00" strings
    return value if isinstance(value, time) else time.fromisoformat(str(value))


def _as_microseconds(hours) -> int:
    # Decimal(str(x)) keeps 1.7 as 1.7, so add/between round-trip exactly for decimal inputs.
    return int((Decimal(str(hours)) * MICROSECONDS_PER_HOUR).to_integral_value())


def _aware(value: datetime) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(MSG_NAIVE.format(value=value))
    return value.astimezone(UTC)


@dataclass(frozen=True)
class _Schedule:
    """One calendar's settings, parsed once per call."""

    name: str
    zone: ZoneInfo
    working_days: frozenset[int]
    opens: time
    closes: time
    country: str
    subdivision: str
    closures: dict[date, str]

    @classmethod
    def of(cls, calendar) -> "_Schedule":
        closures = {}
        for text in calendar.closures or []:
            try:
                closures[date.fromisoformat(str(text))] = "Closed"
            except ValueError:
                continue  # services refuse bad dates; a stray one must not break every clock
        schedule = cls(
            name=calendar.name,
            zone=ZoneInfo(calendar.time_zone or "UTC"),
            working_days=frozenset(int(d) for d in calendar.working_days or []),
            opens=_as_time(calendar.day_start),
            closes=_as_time(calendar.day_end),
            country=(calendar.country or "").upper(),
            subdivision=calendar.subdivision or "",
            closures=closures,
        )
        if not schedule.working_days or schedule.opens >= schedule.closes:
            raise ValueError(MSG_NO_WORKING_TIME.format(name=calendar.name))
        return schedule

    def day_off(self, day: date) -> str | None:
        """Why `day` is not worked (a holiday's name, "Closed"), or None if it is a working day."""
        if day in self.closures:
            return self.closures[day]
        return public_holidays(self.country, self.subdivision, day.year).get(day)

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's working window as UTC instants, or None on a day off."""
        if day.weekday() not in self.working_days or self.day_off(day) is not None:
            return None
        opens = datetime.combine(day, self.opens, tzinfo=self.zone).astimezone(UTC)
        closes = datetime.combine(day, self.closes, tzinfo=self.zone).astimezone(UTC)
        return opens, closes

    def days_from(self, instant: datetime, *, step: int = 1):
        """Local dates from the one containing `instant` (backwards for step=-1), for at most
        SEARCH_YEARS years."""
        day = instant.astimezone(self.zone).date()
        for _ in range(SEARCH_YEARS * 366):
            yield day
            day += timedelta(days=step)
        raise ValueError(MSG_TOO_FAR.format(years=SEARCH_YEARS, name=self.name))


def add_business_hours(*, calendar, start: datetime, hours: float | Decimal | int) -> datetime:
    """The instant `hours` business hours after `start` (before it, for negative hours), in UTC.

    Walks whole days (a set lookup and two datetimes each), so 10 business days cost about 14 steps.
    """
    schedule = _Schedule.of(calendar)
    cursor = _aware(start)
    remaining = timedelta(microseconds=_as_microseconds(hours))
    if not remaining:
        return cursor
    if remaining < timedelta(0):
        return _subtract(schedule, cursor, -remaining)
    for day in schedule.days_from(cursor):
        window = schedule.window(day)
        if window is None or cursor >= window[1]:
            continue
        cursor = max(cursor, window[0])
        available = window[1] - cursor
        if remaining <= available:
            return cursor + remaining
        remaining -= available
    raise AssertionError("unreachable: days_from raises when it runs out")


def _subtract(schedule: _Schedule, cursor: datetime, remaining: timedelta) -> datetime:
    for day in schedule.days_from(cursor, step=-1):
        window = schedule.window(day)
        if window is None or cursor <= window[0]:
            continue
        cursor = min(cursor, window[1])
        available = cursor - window[0]
        if remaining <= available:
            return cursor - remaining
        remaining -= available
    raise AssertionError("unreachable: days_from raises when it runs out")


def business_hours_between(*, calendar, start: datetime, end: datetime) -> float:
    """Business hours from `start` to `end` (0 when end <= start); the inverse of add_business_hours."""
    schedule = _Schedule.of(calendar)
    start, end = _aware(start), _aware(end)
    if end <= start:
        return 0.0
    total = timedelta(0)
    for day in schedule.days_from(start):
        window = schedule.window(day)
        if window is not None:
            overlap = min(end, window[1]) - max(start, window[0])
            if overlap > timedelta(0):
                total += overlap
        if datetime.combine(day + timedelta(days=1), time(0), tzinfo=schedule.zone) >= end:
            break
    return (total // timedelta(microseconds=1)) / MICROSECONDS_PER_HOUR


def next_working_moment(*, calendar, at: datetime) -> datetime:
    """`at` itself during working time, else the next opening (UTC)."""
    schedule = _Schedule.of(calendar)
    cursor = _aware(at)
    for day in schedule.days_from(cursor):
        window = schedule.window(day)
        if window is not None and cursor < window[1]:
            return max(cursor, window[0])
    raise AssertionError("unreachable: days_from raises when it runs out")


def working_day_openings(*, calendar, start: datetime):
    """The opening instants (UTC) of the calendar's working days, from the first at or after
    `start` on; "every N business days" counts these."""
    schedule = _Schedule.of(calendar)
    cursor = _aware(start)
    for day in schedule.days_from(cursor):
        window = schedule.window(day)
        if window is not None and window[0] >= cursor:
            yield window[0]


def add_calendar_hours(start: datetime, hours: float | Decimal | int) -> datetime:
    """`hours` of real elapsed time after `start`, for SLAs that run around the clock."""
    _aware(start)
    return start + timedelta(microseconds=_as_microseconds(hours))


def days_off(*, calendar, after: date, limit: int = 10) -> list[tuple[date, str, bool]]:
    """The next `limit` public holidays and closures from `after` on: (day, why, on a working weekday)."""
    schedule = _Schedule.of(calendar)
    found, year = [], after.year
    while len(found) < limit and year <= after.year + 2:
        named = dict(public_holidays(schedule.country, schedule.subdivision, year))
        named.update({d: why for d, why in schedule.closures.items() if d.year == year})
        found += [(d, named[d], d.weekday() in schedule.working_days) for d in sorted(named) if d >= after]
        year += 1
    return found[:limit]


def weekday_names(days) -> str:
    """'Mon–Fri' for a run of days, else 'Mon, Wed, Fri'."""
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    days = sorted(int(d) for d in days)
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"{names[days[0]]}–{names[days[-1]]}"
    return ", ".join(names[d] for d in days)


def country_name(code: str) -> str:
    """'Germany' for 'DE', from the holidays package's registry (the code if unknown)."""
    return _country_names().get(code.upper(), code)


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    from holidays.registry import COUNTRIES

    return {entry[1]: re.sub(r"(?<=[a-z])(?=[A-Z])", " ", entry[0]) for entry in COUNTRIES.values()}
