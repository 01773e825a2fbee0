"""What management commands share: the `--at ISO-8601` option of the commands that act "as if at"
another moment (sla_sweep, run_schedules)."""

from datetime import datetime

from django.core.management.base import CommandError
from django.utils import timezone

AT_HELP = "Run as if at this ISO-8601 moment (e.g. 2026-12-01T09:00:00+01:00)."
MSG_BAD_AT = "--at: '{value}' is not an ISO-8601 moment."


def at_option(value: str | None) -> datetime | None:
    """The aware moment `--at` names (naive ones in the installation's zone), None without one."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(MSG_BAD_AT.format(value=value)) from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
