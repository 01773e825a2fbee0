"""Writes to business calendars: create, update, choose the default, seed the first one.

Who changed what is recorded by simple-history on the model (`_history_user`), not the audit trail:
calendars are configuration, not decisions on a case.
"""

from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core.errors import NotAllowed, ValidationFailed

from .models import BusinessCalendar, default_working_days
from .selectors import calendar_can_edit

MSG_INVALID = "The calendar has {count} problem(s); fix the fields marked."
MSG_NOT_ALLOWED = "Only workflow owners and administrators can change business calendars."
MSG_TIME_ZONE = "Unknown time zone '{value}'; use a name such as Europe/Berlin or UTC."
MSG_TIME = "Enter a time as HH:MM, e.g. 09:00."
MSG_HOURS_ORDER = "The working day must end after it starts."
MSG_NO_DAYS = "Choose at least one working day."
MSG_BAD_DAY = "Working days are numbers from 0 (Monday) to 6 (Sunday); got '{value}'."
MSG_COUNTRY = "No public holidays are known for country '{value}'; use a two-letter code such as DE."
MSG_SUBDIVISION = "'{value}' is not a region of {country}; choose one of: {choices}."
MSG_SUBDIVISION_NEEDS_COUNTRY = "Choose a country before a region."
MSG_CLOSURE = "'{value}' is not a date; write one closure day per line as YYYY-MM-DD."

HEAD_OFFICE = {
    "name": "Head office",
    "time_zone": "Europe/Berlin",
    "working_days": [0, 1, 2, 3, 4],
    "day_start": time(9),
    "day_end": time(17),
    "country": "DE",
    "subdivision": "BE",
}

FIELDS = ("name", "time_zone", "working_days", "day_start", "day_end", "country", "subdivision", "closures")


def _time(value, *, field: str, errors: dict) -> time | None:
    if isinstance(value, time):
        return value.replace(microsecond=0)
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError:
        errors.setdefault(field, []).append(MSG_TIME)
        return None


def _working_days(value, errors: dict) -> list[int]:
    days = set()
    for item in value or []:
        text = str(item).strip()
        if not text.isdigit() or int(text) > 6:
            errors.setdefault("working_days", []).append(MSG_BAD_DAY.format(value=item))
            continue
        days.add(int(text))
    if not days and "working_days" not in errors:
        errors["working_days"] = [MSG_NO_DAYS]
    return sorted(days)


def _closures(value, errors: dict) -> list[str]:
    if isinstance(value, str):
        value = value.splitlines()
    days = set()
    for item in value or []:
        if isinstance(item, date):
            days.add(item.isoformat())
            continue
        text = str(item).strip()
        if not text:
            continue
        try:
            if len(text) != 10:
                raise ValueError
            days.add(date.fromisoformat(text).isoformat())
        except ValueError:
            errors.setdefault("closures", []).append(MSG_CLOSURE.format(value=text))
    return sorted(days)


def _clean(values: dict) -> dict:
    """Normalise and check every field; raise ValidationFailed naming each bad one."""
    errors: dict[str, list[str]] = {}
    clean = dict(values)
    clean["name"] = str(values.get("name", "")).strip()
    zone = str(values.get("time_zone", "")).strip()
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["time_zone"] = [MSG_TIME_ZONE.format(value=zone)]
    clean["time_zone"] = zone
    clean["working_days"] = _working_days(values.get("working_days"), errors)
    clean["day_start"] = _time(values.get("day_start"), field="day_start", errors=errors)
    clean["day_end"] = _time(values.get("day_end"), field="day_end", errors=errors)
    if clean["day_start"] and clean["day_end"] and clean["day_start"] >= clean["day_end"]:
        errors.setdefault("day_end", []).append(MSG_HOURS_ORDER)
    country = str(values.get("country") or "").strip().upper()
    subdivision = str(values.get("subdivision") or "").strip()
    supported = holidays.list_supported_countries()
    if country and country not in supported:
        errors["country"] = [MSG_COUNTRY.format(value=country)]
    elif subdivision and not country:
        errors["subdivision"] = [MSG_SUBDIVISION_NEEDS_COUNTRY]
    elif subdivision:
        by_upper = {s.upper(): s for s in supported[country]}
        if subdivision.upper() not in by_upper:
            choices = ", ".join(holidays.list_supported_countries(include_aliases=False)[country]) or "none"
            errors["subdivision"] = [MSG_SUBDIVISION.format(value=subdivision, country=country, choices=choices)]
        else:
            subdivision = by_upper[subdivision.upper()]
    clean["country"], clean["subdivision"] = country, subdivision
    clean["closures"] = _closures(values.get("closures"), errors)
    if errors:
        raise ValidationFailed(MSG_INVALID.format(count=sum(map(len, errors.values()))), field_errors=errors)
    return clean


def _save(calendar: BusinessCalendar, *, actor) -> BusinessCalendar:
    try:
        calendar.full_clean()
    except ValidationError as invalid:
        errors = {field: list(problems) for field, problems in invalid.message_dict.items()}
        raise ValidationFailed(MSG_INVALID.format(count=sum(map(len, errors.values()))), field_errors=errors) from None
    calendar._history_user = actor
    calendar.save()
    return calendar


def _ensure_can_edit(actor) -> None:
    # NOTE: actor=None is the system (seeding, data migrations); people must be owners or admins
    if actor is not None and not calendar_can_edit(user=actor):
        raise NotAllowed(MSG_NOT_ALLOWED)


@transaction.atomic
def calendar_create(
    *,
    actor,
    name: str,
    time_zone: str = "UTC",
    working_days: list[int] | None = None,
    day_start: time | str = time(9),
    day_end: time | str = time(17),
    country: str = "",
    subdivision: str = "",
    closures: list[str] | str | None = None,
    is_default: bool = False,
) -> BusinessCalendar:
    """A new calendar; with is_default=True it replaces the current default."""
    _ensure_can_edit(actor)
    values = _clean(
        {
            "name": name,
            "time_zone": time_zone,
            "working_days": default_working_days() if working_days is None else working_days,
            "day_start": day_start,
            "day_end": day_end,
            "country": country,
            "subdivision": subdivision,
            "closures": closures,
        }
    )
    calendar = _save(BusinessCalendar(**values), actor=actor)
    if is_default:
        calendar = calendar_set_default(calendar=calendar, actor=actor)
    return calendar


@transaction.atomic
def calendar_update(*, calendar: BusinessCalendar, actor, **changes) -> BusinessCalendar:
    """Change any of FIELDS; the others keep their values. The default is changed with
    calendar_set_default, never here."""
    _ensure_can_edit(actor)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"calendar_update() cannot change {', '.join(sorted(unknown))}")
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    values = _clean({field: changes.get(field, getattr(calendar, field)) for field in FIELDS})
    for field, value in values.items():
        setattr(calendar, field, value)
    return _save(calendar, actor=actor)


@transaction.atomic
def calendar_set_default(*, calendar: BusinessCalendar, actor) -> BusinessCalendar:
    """Make `calendar` the organisation's calendar (the one without a per-workflow override)."""
    _ensure_can_edit(actor)
    # NOTE: lock every calendar (a handful of rows) so two people choosing at once cannot both
    # clear the old default and trip the one_default_calendar constraint
    rows = {c.pk: c for c in BusinessCalendar.objects.select_for_update().order_by("pk")}
    chosen = rows[calendar.pk]
    for other in rows.values():
        if other.is_default and other.pk != chosen.pk:
            other.is_default = False
            other._history_user = actor
            other.save(update_fields=["is_default"])
    if not chosen.is_default:
        chosen.is_default = True
        chosen._history_user = actor
        chosen.save(update_fields=["is_default"])
    return chosen


@transaction.atomic
def calendar_ensure_default() -> BusinessCalendar:
    """The default calendar; creates "Head office" (Berlin, Mon–Fri 09–17, DE-BE) if there is none.
    Idempotent, for seed_demo and fresh installations."""
    current = BusinessCalendar.objects.filter(is_default=True).first()
    if current is not None:
        return current
    calendar = BusinessCalendar.objects.filter(name=HEAD_OFFICE["name"]).first()
    if calendar is None:
        calendar = calendar_create(actor=None, **HEAD_OFFICE)
    return calendar_set_default(calendar=calendar, actor=None)
