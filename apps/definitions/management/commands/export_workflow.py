"""manage.py export_workflow KEY: a workflow definition (all versions, or one) as JSON."""

import json

from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import ServiceError
from apps.definitions.importexport import definition_export
from apps.definitions.selectors import definition_get


class Command(BaseCommand):
    help = "Export a workflow definition as JSON (all versions, or one with --number N or --number draft)."

    def add_arguments(self, parser):
        parser.add_argument("key")
        parser.add_argument("--number", help="a version number, or 'draft' (default: all versions)")
        parser.add_argument("-o", "--output", help="write to this file instead of standard output")

    def handle(self, *args, key, number=None, output=None, **options):
        try:
            payload = definition_export(definition=definition_get(key=key), actor=None, version=number)
        except ServiceError as refusal:
            raise CommandError(refusal.message) from None
        text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stdout.write(self.style.SUCCESS(f"Wrote {len(payload['versions'])} version(s) of {key} to {output}"))
        else:
            self.stdout.write(text, ending="")
