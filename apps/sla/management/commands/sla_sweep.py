"""Run the SLA sweep now, or as if at another moment; --dry-run lists what would fire."""

from django.core.management.base import BaseCommand

from apps.core.commands import at_option
from apps.sla.sweeper import sla_sweep


class Command(BaseCommand):
    help = "Fire due SLA levels (reminders, escalations, reroutes, auto-closes)."

    def add_arguments(self, parser):
        parser.add_argument("--at", help="Sweep as if at this ISO-8601 moment (e.g. 2026-12-01T09:00:00+01:00).")
        parser.add_argument("--dry-run", action="store_true", help="List what would happen; change nothing.")

    def handle(self, *args, at=None, dry_run=False, **options):
        firings = sla_sweep(at=at_option(at), dry_run=dry_run)
        for f in firings:
            task = f"task {f.task_id}" if f.task_id else "case clock"
            self.stdout.write(f"case {f.case_id} {task}: level {f.level} {f.action} (due {f.at}) -> {f.outcome}")
        verb = "would fire" if dry_run else "fired"
        self.stdout.write(self.style.SUCCESS(f"{len(firings)} level(s) {verb}."))
