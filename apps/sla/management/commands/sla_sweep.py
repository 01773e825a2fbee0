"""Run the SLA sweep now, or as if at another moment; --dry-run lists what would fire."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.sla.sweeper import sla_sweep


class Command(BaseCommand):
    help = "Fire due SLA levels (reminders, escalations, reroutes, auto-closes)."

    def add_arguments(self, parser):
        parser.add_argument("--at", help="Sweep as if at this ISO-8601 moment (e.g. 2026-12-01T09:00:00+01:00).")
        parser.add_argument("--dry-run", action="store_true", help="List what would happen; change nothing.")

    def handle(self, *args, at=None, dry_run=False, **options):
        moment = None
        if at:
            try:
                moment = datetime.fromisoformat(at)
            except ValueError:
                raise CommandError(f"--at: '{at}' is not an ISO-8601 moment.") from None
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        firings = sla_sweep(at=moment, dry_run=dry_run)
        for f in firings:
            task = f"task {f.task_id}" if f.task_id else "case clock"
            self.stdout.write(f"case {f.case_id} {task}: level {f.level} {f.action} (due {f.at}) -> {f.outcome}")
        verb = "would fire" if dry_run else "fired"
        self.stdout.write(self.style.SUCCESS(f"{len(firings)} level(s) {verb}."))
