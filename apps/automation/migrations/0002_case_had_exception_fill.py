"""Fill Case.had_exception (added by cases 0009) from the step attempts already recorded."""

from django.db import migrations


def fill(apps, schema_editor):
    from apps.automation.backfill import case_had_exception_fill

    case_had_exception_fill(apps.get_model("cases", "Case"), apps.get_model("automation", "StepAttempt"))


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0001_initial"),
        ("cases", "0009_case_metric_facts"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
