"""The automated steps' models, taken over from apps.integrations (its 0009): the tables already
exist there (integrations_steprun, integrations_stepattempt) and keep their names and rows, so
this migration changes the project state only. The content types (and the permissions and admin
log entries on them) follow the models."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODELS = ["steprun", "stepattempt"]


def content_types_follow(apps, schema_editor):
    """Rename integrations' content types rather than leave them stale and create new ones:
    permissions granted on the models keep working."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        if not ContentType.objects.using(db).filter(app_label="automation", model=model).exists():
            ContentType.objects.using(db).filter(app_label="integrations", model=model).update(app_label="automation")


def content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        if not ContentType.objects.using(db).filter(app_label="integrations", model=model).exists():
            ContentType.objects.using(db).filter(app_label="automation", model=model).update(app_label="integrations")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("cases", "0004_automated_steps"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("integrations", "0009_steps_move_to_automation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="StepRun",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "task_id",
                            models.BigIntegerField(
                                blank=True, help_text="The engine task waiting on this step.", null=True
                            ),
                        ),
                        ("step_key", models.CharField(max_length=100)),
                        ("step_name", models.CharField(max_length=200)),
                        (
                            "system",
                            models.CharField(
                                help_text="The other system, as people call it (ERP, CRM).", max_length=100
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("call", "HTTP call"),
                                    ("undo", "Compensation (undo call)"),
                                    ("wait", "Wait for callback"),
                                ],
                                default="call",
                                max_length=10,
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Queued"),
                                    ("running", "Calling"),
                                    ("retrying", "Retrying"),
                                    ("waiting", "Waiting for callback"),
                                    ("succeeded", "Succeeded"),
                                    ("exception", "Exception"),
                                    ("skipped", "Skipped"),
                                    ("cancelled", "Cancelled"),
                                ],
                                default="pending",
                                max_length=10,
                            ),
                        ),
                        (
                            "category",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("timeout", "Timeout"),
                                    ("rate_limited", "Rate limited"),
                                    ("rejected", "Rejected by target"),
                                    ("bad_data", "Bad data"),
                                    ("missing_data", "Missing data"),
                                    ("configuration", "Configuration"),
                                    ("unavailable", "Target unavailable"),
                                ],
                                max_length=20,
                            ),
                        ),
                        (
                            "attempts",
                            models.PositiveSmallIntegerField(default=0, help_text="Attempts of the current revision."),
                        ),
                        (
                            "revision",
                            models.PositiveSmallIntegerField(
                                default=1, help_text="Goes up when an operator edits the data."
                            ),
                        ),
                        ("idempotency_key", models.CharField(max_length=200)),
                        ("next_attempt_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                        (
                            "lease_until",
                            models.DateTimeField(
                                blank=True,
                                help_text="While an attempt runs: when its worker counts as gone.",
                                null=True,
                            ),
                        ),
                        ("last_error", models.TextField(blank=True)),
                        (
                            "output",
                            models.JSONField(
                                blank=True,
                                default=dict,
                                help_text="What the answer wrote into the case; its undo is built from this.",
                            ),
                        ),
                        ("last_request", models.JSONField(blank=True, default=dict, help_text="Secrets redacted.")),
                        ("last_response", models.JSONField(blank=True, default=dict)),
                        ("resolution", models.TextField(blank=True, help_text="What an operator did, and why.")),
                        ("created", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "failed_at",
                            models.DateTimeField(
                                blank=True, help_text="When it entered the exception queue.", null=True
                            ),
                        ),
                        ("finished", models.DateTimeField(blank=True, null=True)),
                        (
                            "assigned_to",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "case",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="step_runs", to="cases.case"
                            ),
                        ),
                        (
                            "undo_of",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="undos",
                                to="automation.steprun",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "integrations_steprun",
                        "ordering": ["created", "pk"],
                        "indexes": [
                            models.Index(fields=["status", "category"], name="step_run_queue"),
                            models.Index(fields=["case", "step_key"], name="step_run_case_step"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="StepAttempt",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("number", models.PositiveSmallIntegerField()),
                        ("revision", models.PositiveSmallIntegerField(default=1)),
                        ("started", models.DateTimeField(default=django.utils.timezone.now)),
                        ("duration_ms", models.PositiveIntegerField(blank=True, null=True)),
                        ("status_code", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("outcome", models.CharField(help_text="succeeded, retry, failed or lost.", max_length=20)),
                        (
                            "category",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("timeout", "Timeout"),
                                    ("rate_limited", "Rate limited"),
                                    ("rejected", "Rejected by target"),
                                    ("bad_data", "Bad data"),
                                    ("missing_data", "Missing data"),
                                    ("configuration", "Configuration"),
                                    ("unavailable", "Target unavailable"),
                                ],
                                max_length=20,
                            ),
                        ),
                        ("error", models.TextField(blank=True)),
                        ("request", models.JSONField(blank=True, default=dict)),
                        ("response", models.JSONField(blank=True, default=dict)),
                        (
                            "run",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="attempt_log",
                                to="automation.steprun",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "integrations_stepattempt",
                        "ordering": ["started", "pk"],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_back),
    ]
