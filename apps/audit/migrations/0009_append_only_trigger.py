# PostgreSQL: a trigger refuses UPDATE and DELETE on the audit table (apps.audit.triggers).

from django.db import migrations


def install(apps, schema_editor):
    from apps.audit.triggers import install

    install(schema_editor.connection)


def remove(apps, schema_editor):
    from apps.audit.triggers import remove

    remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0008_chain"),
    ]

    operations = [
        migrations.RunPython(install, remove),
    ]
