"""The automated steps' models move to apps.automation (state only: the tables stay, with their
names and rows; apps.automation's 0001 takes them over)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0008_inbound_signature_once"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="StepAttempt"),
                migrations.DeleteModel(name="StepRun"),
            ],
            database_operations=[],
        ),
    ]
