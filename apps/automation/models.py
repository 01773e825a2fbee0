"""Automated steps: one run per step of a case (an HTTP call, its undo, a wait for a callback,
or a UI script run in a browser) and the log of its attempts.

The tables were created by apps.integrations and keep their names: the models moved here (state
only, migration 0001) when the step machinery left transport.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.integrations.models import ExceptionCategory

__all__ = ["STEP_OPEN", "ExceptionCategory", "StepAttempt", "StepKind", "StepRun", "StepStatus"]


class StepKind(models.TextChoices):
    CALL = "call", "HTTP call"
    UNDO = "undo", "Compensation (undo call)"
    WAIT = "wait", "Wait for callback"
    UI = "ui", "UI script"


class StepStatus(models.TextChoices):
    PENDING = "pending", "Queued"
    RUNNING = "running", "Calling"
    RETRYING = "retrying", "Retrying"
    WAITING = "waiting", "Waiting for callback"
    SUCCEEDED = "succeeded", "Succeeded"
    EXCEPTION = "exception", "Exception"
    SKIPPED = "skipped", "Skipped"
    CANCELLED = "cancelled", "Cancelled"


# Still to be worked by the engine or an operator.
STEP_OPEN = [StepStatus.PENDING, StepStatus.RUNNING, StepStatus.RETRYING, StepStatus.WAITING, StepStatus.EXCEPTION]


class StepRun(models.Model):
    """One automated step of one case: an HTTP call (or its undo, or a wait for a callback), its
    attempts, and, when it failed for good, the exception an operator repairs.

    The row is its own outbox entry: `next_attempt_at` says when the retry sweep (re)queues it;
    while an attempt runs it holds the attempt's lease, so a killed worker's step is picked up
    again once the lease ends.
    """

    Status = StepStatus
    Category = ExceptionCategory

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="step_runs")
    task_id = models.BigIntegerField(null=True, blank=True, help_text="The engine task waiting on this step.")
    step_key = models.CharField(max_length=100)
    step_name = models.CharField(max_length=200)
    system = models.CharField(max_length=100, help_text="The other system, as people call it (ERP, CRM).")
    kind = models.CharField(max_length=10, choices=StepKind.choices, default=StepKind.CALL)
    undo_of = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="undos")
    status = models.CharField(max_length=10, choices=StepStatus.choices, default=StepStatus.PENDING)
    category = models.CharField(max_length=20, choices=ExceptionCategory.choices, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Attempts of the current revision.")
    revision = models.PositiveSmallIntegerField(default=1, help_text="Goes up when an operator edits the data.")
    idempotency_key = models.CharField(max_length=200)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="While an attempt runs: when its worker counts as gone."
    )
    last_error = models.TextField(blank=True)
    output = models.JSONField(
        default=dict, blank=True, help_text="What the answer wrote into the case; its undo is built from this."
    )
    last_request = models.JSONField(default=dict, blank=True, help_text="Secrets redacted.")
    last_response = models.JSONField(default=dict, blank=True)
    script_version = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="A UI step an operator retried with a later version's script: that version's number.",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.TextField(blank=True, help_text="What an operator did, and why.")
    created = models.DateTimeField(default=timezone.now)
    failed_at = models.DateTimeField(null=True, blank=True, help_text="When it entered the exception queue.")
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        # NOTE: the tables keep the names they had under apps.integrations (moved state-only).
        db_table = "integrations_steprun"
        ordering = ["created", "pk"]
        indexes = [
            models.Index(fields=["status", "category"], name="step_run_queue"),
            models.Index(fields=["case", "step_key"], name="step_run_case_step"),
        ]

    def __str__(self) -> str:
        return f"{self.step_name} of case {self.case_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in STEP_OPEN


class StepAttempt(models.Model):
    """One HTTP attempt of a step: what was sent (secrets redacted), what came back, how long."""

    run = models.ForeignKey(StepRun, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    revision = models.PositiveSmallIntegerField(default=1)
    started = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=20, help_text="succeeded, retry, failed or lost.")
    category = models.CharField(max_length=20, choices=ExceptionCategory.choices, blank=True)
    error = models.TextField(blank=True)
    request = models.JSONField(default=dict, blank=True)
    response = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "integrations_stepattempt"
        ordering = ["started", "pk"]
        indexes = [
            # The step failures of a date range (the metrics' exceptions and repairs): a few in a
            # hundred attempts fail for good, read without the others.
            models.Index(fields=["started"], condition=models.Q(outcome="failed"), name="step_attempt_failed_started"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.run_id}: {self.outcome}"
