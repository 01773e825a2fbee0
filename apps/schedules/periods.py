"""When a schedule's periods begin: a cron expression in the workflow calendar's time zone, or
every N working days of that calendar at opening time. Pure functions over aware datetimes."""

from datetime import UTC, datetime
from itertools import islice
from zoneinfo import ZoneInfo

from croniter import croniter

from apps.sla.calendar import working_day_openings

from .models import ScheduleKind

# NOTE: a clock jump over more periods than this starts only the newest ones; the older ones are
# reported as skipped rather than flooding the inbox (a minutely cron after a week's downtime).
MAX_CATCH_UP = 12
MAX_SCAN = 100_000  # periods looked at in one call, at most

MSG_CRON_INVALID = "'{value}' is not a cron expression: give five fields (minute hour day month weekday)."


def cron_problem(expression: str) -> str | None:
    """Why `expression` is not a usable five-field cron expression, or None."""
    value = (expression or "").strip()
    if len(value.split()) != 5 or not croniter.is_valid(value):
        return MSG_CRON_INVALID.format(value=value[:100])
    return None


def period_key(moment: datetime) -> str:
    """The period's unique key: the moment it began, in UTC to the minute."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _cron_moments(*, cron: str, zone: str, after: datetime):
    local = after.astimezone(ZoneInfo(zone or "UTC"))
    for moment in croniter(cron.strip(), local, ret_type=datetime):
        yield moment.astimezone(UTC)


def _business_moments(*, every_days: int, calendar, anchor: datetime, after: datetime):
    for index, moment in enumerate(working_day_openings(calendar=calendar, start=anchor)):
        if index % every_days == 0 and moment > after:
            yield moment


def moments_after(*, schedule, calendar, after: datetime):
    """The beginnings of the schedule's periods strictly after `after`, in order (endless)."""
    if schedule.kind == ScheduleKind.BUSINESS_DAYS:
        return _business_moments(
            every_days=schedule.every_days or 1, calendar=calendar, anchor=schedule.anchor, after=after
        )
    return _cron_moments(cron=schedule.cron, zone=calendar.time_zone, after=after)


def next_moment(*, schedule, calendar, after: datetime) -> datetime | None:
    return next(iter(moments_after(schedule=schedule, calendar=calendar, after=after)), None)


def due_moments(*, schedule, calendar, after: datetime, until: datetime) -> tuple[list[datetime], int]:
    """(the periods in (after, until] to start, newest MAX_CATCH_UP of them; how many older ones
    are skipped)."""
    found = []
    for moment in islice(moments_after(schedule=schedule, calendar=calendar, after=after), MAX_SCAN):
        if moment > until:
            break
        found.append(moment)
    return found[-MAX_CATCH_UP:], max(len(found) - MAX_CATCH_UP, 0)
