"""Start the recurring workflow runs that are due now, or as if at another moment."""

from django.core.management.base import BaseCommand

from apps.core.commands import AT_HELP, at_option
from apps.schedules.services import schedules_run_due


class Command(BaseCommand):
    help = "Start every scheduled workflow run that is due (each period once; missed ones late)."

    def add_arguments(self, parser):
        parser.add_argument("--at", help=AT_HELP)

    def handle(self, *args, at=None, **options):
        runs = schedules_run_due(at=at_option(at))
        for run in runs:
            late = " LATE" if run.started_late else ""
            what = f"case {run.case_id}" if run.case_id else f"not started: {run.error}"
            self.stdout.write(f"schedule {run.schedule_id} '{run.schedule.name}' period {run.period_key}{late}: {what}")
        failed = sum(1 for run in runs if not run.case_id)
        self.stdout.write(self.style.SUCCESS(f"{len(runs) - failed} run(s) started, {failed} could not start."))
