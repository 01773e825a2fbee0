"""Indexes for the metrics (apps.metrics) at any table size.

Work in progress, aging and pending approvals read the open cases only: a partial index holds
them (by workflow and version), however many closed cases the history has. Date ranges select
cases by when they started or closed: viewflow's process table has no index on either, and
viewflow owns it, so those two are SQL, not model state (as in 0005).
"""

from django.db import migrations, models

PROCESS_INDEXES = {
    "process_created": "(created)",
    "process_finished": "(finished) WHERE finished IS NOT NULL",
}


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_case_started_by"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("is_test", False), ("outcome__isnull", True)),
                fields=["workflow_key", "version_number"],
                name="case_open_by_workflow",
            ),
        ),
        *(
            migrations.RunSQL(
                sql=f"CREATE INDEX {name} ON viewflow_process {definition}",
                reverse_sql=f"DROP INDEX {name}",
            )
            for name, definition in PROCESS_INDEXES.items()
        ),
    ]
