# The clock of a person's task is now settled when the task is decided or cancelled, not when its
# case closes: the clocks of tasks that already ended in open cases are settled here, the same way.

from django.db import migrations


def settle(apps, schema_editor):
    from apps.sla.backfill import clock_ended_tasks_settle

    clock_ended_tasks_settle(apps.get_model("sla", "SlaClock"))


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0006_wait_clock"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [migrations.RunPython(settle, migrations.RunPython.noop)]
