# The hash chain (apps.audit.chain): the columns, the existing events chained in id order, the
# evidence log of daily heads and the record of verifications.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def chain_existing_events(apps, schema_editor):
    """Chain the events written before the chain existed, oldest id first (in batches)."""
    # NOTE: the live linking (apps.audit.chain.chain_continue, as chain_link writes new events), not
    # a frozen copy: the canonical content and hash are a contract that never changes, and the
    # verifier checks these events by the same rules.
    from apps.audit.chain import GENESIS, chain_continue

    AuditEvent = apps.get_model("audit", "AuditEvent")
    fields = ["data", "context", "seq", "prev_hash", "case_prev_hash", "hash"]
    seq, head, case_heads, batch = 0, GENESIS, {}, []
    for event in AuditEvent.objects.using(schema_editor.connection.alias).order_by("id").iterator(chunk_size=2000):
        batch.append(event)
        if len(batch) == 1000:
            seq, head = chain_continue(batch, seq=seq, head=head, case_heads=case_heads)
            AuditEvent.objects.bulk_update(batch, fields)
            batch = []
    if batch:
        chain_continue(batch, seq=seq, head=head, case_heads=case_heads)
        AuditEvent.objects.bulk_update(batch, fields)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0007_alert_actions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="case_prev_hash",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing_events, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["case_id", "seq"], name="audit_audit_case_id_seq_idx"),
        ),
        migrations.CreateModel(
            name="ChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(unique=True)),
                ("seq", models.BigIntegerField()),
                ("hash", models.CharField(max_length=64)),
                ("written_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["day"],
            },
        ),
        migrations.CreateModel(
            name="ChainVerification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ("ok", models.BooleanField()),
                ("count", models.BigIntegerField(default=0)),
                ("message", models.TextField()),
                ("break_seq", models.BigIntegerField(blank=True, null=True)),
                ("break_how", models.CharField(blank=True, max_length=20)),
            ],
            options={
                "ordering": ["-at", "-id"],
            },
        ),
    ]
