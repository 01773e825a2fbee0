"""manage.py import_workflow file.json: an exported workflow becomes a draft on this installation."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import ServiceError
from apps.definitions.importexport import definition_import, export_parse
from apps.definitions.services import spec_hash


class Command(BaseCommand):
    help = "Import a workflow exported as JSON; it becomes a new draft, never overwriting a published version."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the JSON export ('-' reads standard input)")
        parser.add_argument("--number", help="which version of the export (default: the last one)")
        parser.add_argument("--user", help="import as this workflow owner or admin (default: the system)")

    def handle(self, *args, file, number=None, user=None, **options):
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"No active user '{user}'.")
        try:
            if file == "-":
                import sys

                text = sys.stdin.read()
            else:
                with open(file, encoding="utf-8") as handle:
                    text = handle.read()
        except OSError as problem:
            raise CommandError(f"Cannot read {file}: {problem}") from None
        try:
            draft = definition_import(payload=export_parse(text), actor=actor, version=number)
        except ServiceError as refusal:
            raise CommandError(refusal.message) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {draft.definition.key} as a new draft (spec hash {spec_hash(draft.spec)}); "
                "review and publish it in the builder."
            )
        )
