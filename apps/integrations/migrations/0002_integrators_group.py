"""The "integrators" role: people who manage webhook subscriptions."""

from django.db import migrations

INTEGRATORS = "integrators"


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).get_or_create(name=INTEGRATORS)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("integrations", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
