"""manage.py evidence_verify FILE.zip: exit 0 "pack intact ...", or exit 1 naming what fails."""

from django.core.management.base import BaseCommand, CommandError

from apps.evidence.verify import pack_verify


class Command(BaseCommand):
    help = "Check an evidence pack offline: every file's SHA-256 against its manifest, and the audit chain inside."
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("pack", help="the pack's ZIP file")

    def handle(self, *args, pack, **options):
        report = pack_verify(pack)
        if not report.ok:
            raise CommandError(f"pack damaged: {report.message}", returncode=1)
        self.stdout.write(report.message)
