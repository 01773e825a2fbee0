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


# How a call to another system failed (calls.call_judge); the automated steps (apps.automation)
# file their exceptions under it.
class ExceptionCategory(models.TextChoices):
    TIMEOUT = "timeout", "Timeout"
    RATE_LIMITED = "rate_limited", "Rate limited"
    REJECTED = "rejected", "Rejected by target"
    BAD_DATA = "bad_data", "Bad data"
    MISSING_DATA = "missing_data", "Missing data"
    CONFIGURATION = "configuration", "Configuration"
    UNAVAILABLE = "unavailable", "Target unavailable"
    # A UI step's failures that no retry mends (apps.integrations.ui).
    PAGE_CHANGED = "page_changed", "Page changed"
    LOGIN_REFUSED = "login_refused", "Login refused"
    TEXT_ABSENT = "text_absent", "Expected text absent"
