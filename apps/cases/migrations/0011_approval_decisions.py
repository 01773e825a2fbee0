"""Decided approvals as rows of their own (apps.cases.models.ApprovalDecision), filled for the
approvals decided before (apps.cases.backfill, kept outside the migration so a test can run it)."""

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    from apps.cases.backfill import approval_decisions_fill

    approval_decisions_fill(apps.get_model("cases", "ApprovalDecision"), apps.get_model("viewflow", "Task"))



class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0010_case_process_moments'),
        ('viewflow', '0015_task_scheduled'),
    ]

    operations = [
        migrations.CreateModel(
            name='ApprovalDecision',
            fields=[
                ('task', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='viewflow.task')),
                ('workflow_key', models.CharField(max_length=100)),
                ('version_number', models.PositiveIntegerField()),
                ('is_test', models.BooleanField()),
                ('stage', models.CharField(blank=True, max_length=100)),
                ('decided_at', models.DateTimeField()),
                ('hours', models.FloatField(help_text='Created to decided, wall-clock hours.')),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='cases.case')),
            ],
            options={
                'indexes': [models.Index(fields=['decided_at'], include=('workflow_key', 'version_number', 'is_test', 'stage', 'hours', 'case'), name='approval_decided_at')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
