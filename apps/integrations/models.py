"""Outbound webhooks: who listens to which case events, and every delivery made to them.

A delivery row is its own outbox entry: it is written in the transaction of the event, posted
after commit, retried by a sweep, and kept (dead) for operators when the receiver never takes it.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

EVENTS = ["case.started", "task.created", "task.completed", "case.closed", "case.exception"]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    RETRYING = "retrying", "Retrying"
    DEAD = "dead", "Dead"


class WebhookSubscription(models.Model):
    """A receiver's URL and the events it wants. `secret` is kept as given: it signs every body."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200)
    events = models.JSONField(default=list, help_text=f"Subset of {', '.join(EVENTS)}.")
    is_active = models.BooleanField(default=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"


class WebhookDelivery(models.Model):
    Status = DeliveryStatus

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    # Stays the same across retries and redeliveries: receivers deduplicate on it.
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the sweep should (re)send it; null once delivered or dead.
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_response = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["subscription", "-created"], name="webhook_delivery_history"),
            models.Index(fields=["status", "-created"], name="webhook_delivery_status"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.subscription_id} ({self.status})"


class InboundAction(models.TextChoices):
    START_CASE = "start_case", "Start a case"
    COMPLETE_STEP = "complete_step", "Complete a waiting step"


class InboundEndpoint(models.Model):
    """A URL (/api/v1/hooks/<slug>/) where a signed POST starts a case of `workflow` for `run_as`,
    or completes the waiting step `step` of the case whose id is at `case_path` in the body.

    `field_map` maps case fields to dotted paths in the JSON body: {"amount": "order.total"}.
    """

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=100)
    secret = models.CharField(max_length=200)
    workflow = models.CharField(max_length=100)
    run_as = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    field_map = models.JSONField(default=dict)
    action = models.CharField(max_length=20, choices=InboundAction.choices, default=InboundAction.START_CASE)
    step = models.CharField(max_length=100, blank=True, help_text="The wait step a callback completes.")
    case_path = models.CharField(max_length=200, blank=True, help_text="Where the body names the case: case_id.")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"


class InboundDelivery(models.Model):
    """One call to an inbound endpoint, accepted or refused, and why. Unknown slugs: no endpoint."""

    endpoint = models.ForeignKey(
        InboundEndpoint, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    delivery_id = models.CharField(max_length=100, blank=True)
    received = models.DateTimeField(default=timezone.now)
    accepted = models.BooleanField(default=False)
    reason = models.TextField(blank=True)
    case_id = models.BigIntegerField(null=True, blank=True)
    remote_addr = models.CharField(max_length=100, blank=True)
    # SHA-256 of the X-WMS-Signature header (not the signature itself): a signed call is accepted once.
    signature_digest = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            # Only accepted deliveries are unique: a refused attempt (bad signature, say) must not
            # block the sender's genuine retry with the same id.
            models.UniqueConstraint(
                fields=["endpoint", "delivery_id"],
                condition=models.Q(accepted=True),
                name="inbound_delivery_accepted_once",
            ),
            # The same signed content twice is a replay, whatever X-WMS-Delivery says; racing
            # copies included. Rows logged before signatures were recorded have none.
            models.UniqueConstraint(
                fields=["endpoint", "signature_digest"],
                condition=models.Q(accepted=True) & ~models.Q(signature_digest=""),
                name="inbound_signature_accepted_once",
            ),
        ]
        indexes = [models.Index(fields=["endpoint", "-received"], name="inbound_delivery_history")]

    def __str__(self) -> str:
        return f"{self.delivery_id} to {self.endpoint_id} ({'accepted' if self.accepted else 'refused'})"


# --- automated steps ---------------------------------------------------------------------------


class StepKind(models.TextChoices):
    CALL = "call", "HTTP call"
    UNDO = "undo", "Compensation (undo call)"
    WAIT = "wait", "Wait for callback"


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


class ExceptionCategory(models.TextChoices):
    TIMEOUT = "timeout", "Timeout"
    RATE_LIMITED = "rate_limited", "Rate limited"
    REJECTED = "rejected", "Rejected by target"
    BAD_DATA = "bad_data", "Bad data"
    MISSING_DATA = "missing_data", "Missing data"
    CONFIGURATION = "configuration", "Configuration"
    UNAVAILABLE = "unavailable", "Target unavailable"


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
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.TextField(blank=True, help_text="What an operator did, and why.")
    created = models.DateTimeField(default=timezone.now)
    failed_at = models.DateTimeField(null=True, blank=True, help_text="When it entered the exception queue.")
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
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
        ordering = ["started", "pk"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.run_id}: {self.outcome}"
