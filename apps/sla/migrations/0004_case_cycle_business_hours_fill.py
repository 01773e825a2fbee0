"""Fill Case.cycle_business_hours (added by cases 0009) of the cases closed before it existed."""

from django.db import migrations


def fill(apps, schema_editor):
    from apps.sla.backfill import case_cycle_business_hours_fill

    case_cycle_business_hours_fill(apps.get_model("cases", "Case"))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_case_metric_facts"),
        ("definitions", "0002_change_control"),
        ("sla", "0003_clock_metric_fields"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
