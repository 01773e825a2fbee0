"""Metric facts on the case (returns, exception, cycle time), filled for existing rows
(apps.cases.backfill; had_exception in automation 0002, business hours in sla 0004)."""

from django.db import migrations, models


def fill(apps, schema_editor):
    from apps.cases.backfill import case_facts_fill

    case_facts_fill(apps.get_model("cases", "Case"), apps.get_model("viewflow", "Task"))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_decided_approvals_index"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="cycle_business_hours",
            field=models.FloatField(
                blank=True, help_text="Start to close, business hours on the version's SLA calendar.", null=True
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="cycle_hours",
            field=models.FloatField(blank=True, help_text="Start to close, wall-clock hours.", null=True),
        ),
        migrations.AddField(
            model_name="case",
            name="had_exception",
            field=models.BooleanField(
                default=False, help_text="An automated step of the case failed for good (reached the exception queue)."
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="returned_count",
            field=models.PositiveIntegerField(
                default=0, help_text="Times the case went back to its requester (returned, or data missing)."
            ),
        ),
        migrations.AddField(
            model_name="historicalcase",
            name="cycle_business_hours",
            field=models.FloatField(
                blank=True, help_text="Start to close, business hours on the version's SLA calendar.", null=True
            ),
        ),
        migrations.AddField(
            model_name="historicalcase",
            name="cycle_hours",
            field=models.FloatField(blank=True, help_text="Start to close, wall-clock hours.", null=True),
        ),
        migrations.AddField(
            model_name="historicalcase",
            name="had_exception",
            field=models.BooleanField(
                default=False, help_text="An automated step of the case failed for good (reached the exception queue)."
            ),
        ),
        migrations.AddField(
            model_name="historicalcase",
            name="returned_count",
            field=models.PositiveIntegerField(
                default=0, help_text="Times the case went back to its requester (returned, or data missing)."
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
