"""Copies of each case's process moments (apps.cases.models.ProcessMoment), filled for the cases
that exist, and the indexes the metrics' date ranges read."""

import apps.cases.models
from django.conf import settings
from django.db import migrations, models

# One statement, the same on SQLite and PostgreSQL.
FILL = """
UPDATE cases_case SET
    started_at = (SELECT p.created FROM viewflow_process p WHERE p.id = cases_case.process_ptr_id),
    closed_at = (SELECT p.finished FROM viewflow_process p WHERE p.id = cases_case.process_ptr_id)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_case_metric_facts"),
        ("definitions", "0002_change_control"),
        ("viewflow", "0015_task_scheduled"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="closed_at",
            field=apps.cases.models.ProcessMoment(
                editable=False,
                help_text="Copy of the process's close, for the metrics' ranges.",
                null=True,
                source="finished",
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="started_at",
            field=apps.cases.models.ProcessMoment(
                editable=False,
                help_text="Copy of the process's start, for the metrics' ranges.",
                null=True,
                source="created",
            ),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["started_at"], name="case_started_at"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["closed_at"], name="case_closed_at"),
        ),
    ]
