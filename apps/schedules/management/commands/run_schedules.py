"""Start the recurring workflow runs that are due now, or as if at another moment."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.schedules.services import schedules_run_due


class Command(BaseCommand):
    help = "Start every scheduled workflow run that is due (each period once; missed ones late)."

    def add_arguments(self, parser):
        parser.add_argument("--at", help="Run as if at this ISO-8601 moment (e.g. 2026-12-01T09:00:00+01:00).")

    def handle(self, *args, at=None, **options):
        moment = None
        if at:
            try:
                moment = datetime.fromisoformat(at)
            except ValueError:
                raise CommandError(f"--at: '{at}' is not an ISO-8601 moment.") from None
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        runs = schedules_run_due(at=moment)
        for run in runs:
            late = " LATE" if run.started_late else ""
            what = f"case {run.case_id}" if run.case_id else f"not started: {run.error}"
            self.stdout.write(f"schedule {run.schedule_id} '{run.schedule.name}' period {run.period_key}{late}: {what}")
        failed = sum(1 for run in runs if not run.case_id)
        self.stdout.write(self.style.SUCCESS(f"{len(runs) - failed} run(s) started, {failed} could not start."))
