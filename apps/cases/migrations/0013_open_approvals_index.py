# The dashboards' pending approvals (apps.cases.reporting.approvals_open_by_holder) count the open
# approval tasks of the open cases by holder: on PostgreSQL a covering partial index of those tasks
# alone (a few thousand rows, whatever the history) answers it by an index-only scan instead of
# reading every task of every open case. SQLite builds it without the covered columns.

from django.db import migrations

WHERE = "WHERE status IN ('NEW', 'ASSIGNED') AND flow_task = 'cases/flows.CaseFlow.approve'"


def create(apps, schema_editor):
    include = (
        " INCLUDE (id, owner_id, owner_permission, created)" if schema_editor.connection.vendor == "postgresql" else ""
    )
    schema_editor.execute(f"CREATE INDEX task_approval_open_process ON viewflow_task (process_id){include} {WHERE}")


def drop(apps, schema_editor):
    schema_editor.execute("DROP INDEX task_approval_open_process")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0012_case_import"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [migrations.RunPython(create, drop)]
