"""How a moment reads to a person: one format across the product, always with its zone.

"3 Dec 2026 14:05 CET" on pages, "3 Dec 14:05 CET" in tables, "3 Dec 2026" for a plain day. The
zone is the person's (activated per request by apps.portal.middleware), else the installation's
settings.TIME_ZONE. Templates use the `moment` and `day` filters (apps.portal.templatetags.moments);
notifications call `moment_text` with the recipient's zone.
"""

from datetime import date, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from django.utils import dateformat, timezone

FORMATS = {
    "long": "j M Y H:i",  # 3 Dec 2026 14:05
    "short": "j M H:i",  # 3 Dec 14:05, for table rows and lines within this year's work
    "seconds": "j M H:i:s",  # 3 Dec 14:05:09, for logs of calls and attempts seconds apart
}
DAY_FORMAT = "j M Y"  # 3 Dec 2026

MSG_TIME_ZONE = "Unknown time zone '{value}'; choose one from the list, such as Europe/Berlin or UTC."


@lru_cache(maxsize=1)
def time_zone_names() -> frozenset[str]:
    """IANA names this machine knows (reading them scans the tz database: once per process)."""
    return frozenset(available_timezones())


def is_time_zone(name: str) -> bool:
    return name in time_zone_names()


def zone_or_default(name: str | None) -> tzinfo:
    """The named zone, or the installation's default for a blank or unknown name."""
    if name and is_time_zone(name):
        return ZoneInfo(name)
    return timezone.get_default_timezone()


def zone_label(moment: datetime) -> str:
    """The zone's abbreviation at that moment ("CET", "CEST", "UTC"); zones without one read as
    an offset from UTC ("UTC-03" rather than a bare "-03")."""
    name = moment.tzname() or ""
    return f"UTC{name}" if name[:1] in "+-" else name


def _aware(value) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if timezone.is_aware(value) else timezone.make_aware(value, timezone.get_default_timezone())


def moment_text(value, *, style: str = "long", zone: tzinfo | None = None) -> str:
    """A moment in `zone` (the active zone by default) with its label; "" for no moment."""
    moment = _aware(value)
    if moment is None:
        return ""
    local = moment.astimezone(zone or timezone.get_current_timezone())
    return f"{dateformat.format(local, FORMATS.get(style, FORMATS['long']))} {zone_label(local)}"


def day_text(value, *, zone: tzinfo | None = None) -> str:
    """A plain day ("3 Dec 2026"); a moment counts on the day it is in `zone` (the active one)."""
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            return ""
    if isinstance(value, datetime | str):
        moment = _aware(value)
        if moment is None:
            return ""
        value = moment.astimezone(zone or timezone.get_current_timezone()).date()
    if not isinstance(value, date):
        return ""
    return dateformat.format(value, DAY_FORMAT)
