"""An index for the approval latency of the metrics (apps.cases.reporting: approvals_decided,
approval_latency_by_stage): the approvals decided in a date range, without reading every task of
the history. viewflow owns the task table, so SQL as in 0005 and 0007 (the same statement on
SQLite and PostgreSQL: both have partial indexes)."""

from django.db import migrations

SQL = (
    "CREATE INDEX task_approval_done_finished ON viewflow_task (finished) "
    "WHERE status = 'DONE' AND flow_task = 'cases/flows.CaseFlow.approve'"
)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_metrics_indexes"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [migrations.RunSQL(sql=SQL, reverse_sql="DROP INDEX task_approval_done_finished")]
