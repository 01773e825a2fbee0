"""manage.py import_cases FILE --workflow KEY [--dry-run] [--user USERNAME]: migrate cases from a
spreadsheet (CSV or XLSX) and print the per-row report as JSON (README "Migration from spreadsheets")."""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.cases.importing import cases_import
from apps.core.errors import ServiceError
from apps.core.sheets import sheet_format, sheet_rows


class Command(BaseCommand):
    help = "Import cases from a CSV or XLSX file into a workflow; prints the per-row report as JSON."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--workflow", required=True, help="the workflow's key")
        parser.add_argument("--dry-run", action="store_true", help="report only; nothing is written")
        parser.add_argument("--user", default="", help="import as this user (a workflow owner); default: the system")

    def handle(self, *args, file, workflow, dry_run, user, **options):
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"There is no active user '{user}'.")
        try:
            fmt = sheet_format(file)
            with open(file, "rb") as handle:
                headers, rows = sheet_rows(handle, fmt=fmt)
                report = cases_import(
                    workflow=workflow, headers=headers, rows=rows, actor=actor, dry_run=dry_run, source=file
                )
        except OSError as problem:
            raise CommandError(f"Cannot read {file}: {problem.strerror}") from None
        except ServiceError as problem:
            raise CommandError(problem.message) from None
        self.stdout.write(json.dumps(report, indent=2))
