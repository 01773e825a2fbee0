"""manage.py evidence_export --from YYYY-MM-DD --to YYYY-MM-DD [--workflow KEY] --out FILE.zip"""

import os
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import ServiceError
from apps.evidence.services import VIA_COMMAND, evidence_export


class Command(BaseCommand):
    help = "Write the evidence pack of a range of days (and optionally one workflow) to a ZIP file."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", required=True, help="first day, YYYY-MM-DD (included)")
        parser.add_argument("--to", dest="date_to", required=True, help="last day, YYYY-MM-DD (included)")
        parser.add_argument("--workflow", default="", help="only the cases of this workflow (its key)")
        parser.add_argument("--out", required=True, help="the ZIP file to write")
        parser.add_argument("--actor", default="", help="the auditor or administrator exporting (default: the system)")

    def handle(self, *args, date_from, date_to, workflow, out, actor, **options):
        user = None
        if actor:
            user = get_user_model().objects.filter(username=actor).first()
            if user is None:
                raise CommandError(f"actor: no user is called '{actor}'.")
        target = Path(out)
        if not target.parent.is_dir():
            raise CommandError(f"out: the folder {target.parent} does not exist.")
        # Written beside the target and renamed at the end: a failed export leaves no half pack.
        fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as stream:
                manifest = evidence_export(
                    actor=user, date_from=date_from, date_to=date_to, workflow=workflow, out=stream, via=VIA_COMMAND
                )
            os.replace(partial, target)
        except ServiceError as refused:
            problems = [f"{name}: {' '.join(errors)}" for name, errors in refused.field_errors.items()]
            raise CommandError(" ".join(problems) or refused.message) from None
        finally:
            Path(partial).unlink(missing_ok=True)
        counts = manifest["counts"]
        self.stdout.write(
            f"evidence pack written: {target} ({counts['cases']} cases, {counts['events']} audit events, "
            f"{len(manifest['files']) + 1} files)"
        )
