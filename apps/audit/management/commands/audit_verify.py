"""Verify the audit trail's hash chain: exit 0 when intact, 1 naming the first event that breaks it."""

from datetime import date, datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.audit.services import chain_verify

MSG_BAD_MOMENT = "--{name}: '{value}' is not an ISO-8601 date or moment (e.g. 2026-12-01 or 2026-12-01T09:00:00Z)."


def _moment(name: str, value: str | None, *, end: bool = False) -> datetime | None:
    """A date means its whole day in the installation's time zone (--to includes that day)."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value) + timedelta(days=1 if end else 0)
            return timezone.make_aware(datetime.combine(day, time(0)))
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(MSG_BAD_MOMENT.format(name=name, value=value)) from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain (all of it, or the events written in a range)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="moment_from", help="First day or moment (ISO-8601), inclusive.")
        parser.add_argument("--to", dest="moment_to", help="Last day (inclusive) or moment (exclusive), ISO-8601.")

    def handle(self, *args, moment_from=None, moment_to=None, **options):
        start, end = _moment("from", moment_from), _moment("to", moment_to, end=True)
        if start and end and start >= end:
            raise CommandError("--from must be before --to.")
        verification = chain_verify(moment_from=start, moment_to=end)
        if not verification.ok:
            self.stderr.write(verification.message)
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(verification.message))
