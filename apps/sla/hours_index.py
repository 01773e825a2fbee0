"""Business hours between many pairs of moments on one calendar, each pair in constant time.

`business_hours_between` walks the days between its two moments; a dashboard asking it for
every case closed in a quarter (and every open case's age) walks the same days thousands of
times. `BusinessHoursIndex` walks each day once: the working time before the start of each local
day (integer microseconds, so sums are exact), plus the part of the moment's own day. Its
answers equal business_hours_between's to the microsecond (tests/sla/test_hours_index.py).
"""

from datetime import date, datetime, timedelta

from .calendar import MICROSECONDS_PER_HOUR, _aware, _Schedule

ONE_MICROSECOND = timedelta(microseconds=1)


class BusinessHoursIndex:
    def __init__(self, calendar):
        self.schedule = _Schedule.of(calendar)
        self.windows: dict[date, tuple | None] = {}
        self.before: dict[date, int] = {}  # working microseconds before the day, from a base day

    def _window(self, day: date):
        if day not in self.windows:
            self.windows[day] = self.schedule.window(day)
        return self.windows[day]

    def _length(self, day: date) -> int:
        window = self._window(day)
        return 0 if window is None else (window[1] - window[0]) // ONE_MICROSECOND

    def _before(self, day: date) -> int:
        before = self.before
        if not before:
            before[day] = 0
            return 0
        if day in before:
            return before[day]
        one = timedelta(days=1)
        if day > max(before):
            cursor = max(before)
            while cursor < day:
                before[cursor + one] = before[cursor] + self._length(cursor)
                cursor += one
        else:
            cursor = min(before)
            while cursor > day:
                before[cursor - one] = before[cursor] - self._length(cursor - one)
                cursor -= one
        return before[day]

    def _point(self, moment: datetime) -> int:
        """Working microseconds from the base day's midnight to `moment`."""
        day = moment.astimezone(self.schedule.zone).date()
        window = self._window(day)
        within = 0
        if window is not None and moment > window[0]:
            within = (min(moment, window[1]) - window[0]) // ONE_MICROSECOND
        return self._before(day) + within

    def hours(self, start: datetime, end: datetime) -> float:
        """business_hours_between(calendar, start, end), from the index."""
        start, end = _aware(start), _aware(end)
        if end <= start:
            return 0.0
        return (self._point(end) - self._point(start)) / MICROSECONDS_PER_HOUR

    def latest_start(self, end: datetime, hours: float) -> datetime:
        """The latest moment from which at least `hours` business hours pass until `end`: a case
        started at or before it is at least that old at `end`, one started after it is younger
        (hours() never decreases as the start moves back). The inverse of hours(), so a count of
        ages in buckets is a count of start moments between a few of these, not a walk per case."""
        end = _aware(end)
        target = self._point(end) - round(hours * MICROSECONDS_PER_HOUR)
        day = end.astimezone(self.schedule.zone).date()
        while self._before(day) > target:  # back to the day the target point falls in
            day -= timedelta(days=1)
        # the last day whose start is still at or before it (days off in between add nothing)
        while day < end.astimezone(self.schedule.zone).date() and self._before(day + timedelta(days=1)) <= target:
            day += timedelta(days=1)
        window, offset = self._window(day), target - self._before(day)
        if window is None or offset >= self._length(day):
            # Only on the end's own day: the target is where its working time ends (or it has
            # none), and every moment from there to the end adds nothing.
            return end
        # Before the end's working time starts, every moment of its morning qualifies as well.
        return min(window[0] + timedelta(microseconds=offset), end)
