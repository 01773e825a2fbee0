# Each clock carries its case's workflow and version (copied when it starts), so the SLA panel
# of a dashboard scoped to workflows reads the clocks of its range without joining their cases;
# the covering index of the counted clocks includes them.

from django.db import migrations, models


def copy(apps, schema_editor):
    from apps.sla.backfill import clock_workflow_copy

    clock_workflow_copy(apps.get_model("sla", "SlaClock"))


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0014_attachment_taken_by_system'),
        ('sla', '0007_settle_ended_task_clocks'),
        ('viewflow', '0015_task_scheduled'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='slaclock',
            name='sla_clock_counted_at_cover',
        ),
        migrations.AddField(
            model_name='slaclock',
            name='version_number',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='slaclock',
            name='workflow_key',
            field=models.CharField(default='', max_length=100),
        ),
        migrations.RunPython(copy, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='slaclock',
            index=models.Index(condition=models.Q(('counted_at__isnull', False)), fields=['counted_at'], include=('workflow_key', 'version_number', 'case', 'result', 'stage', 'id'), name='sla_clock_counted_at_cover'),
        ),
    ]
