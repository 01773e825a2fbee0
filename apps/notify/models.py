"""Notifications: one row per person and event, shown in the portal and mailed once.

The row is also the e-mail outbox: delivery state lives on it, so a lost queue message or a
crashed worker is recovered by the retry sweep instead of losing the e-mail.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    TASK_ASSIGNED = "task_assigned", "Task assigned"
    REMINDER = "reminder", "Reminder"
    ESCALATION = "escalation", "Escalation"
    REROUTE = "reroute", "Rerouted"
    DECISION = "decision", "Decision"
    RETURNED = "returned", "Returned"
    AUTO_CLOSED = "auto_closed", "Auto-closed"
    NOTICE = "notice", "Notice"
    EXCEPTION = "exception", "Exception"


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (no e-mail address)"


class Notification(models.Model):
    """Something a person should know. `case_id` and `task_id` are plain ids, as in the audit
    trail, so a notification outlives what it describes and this app needs no viewflow import."""

    Kind = Kind
    EmailStatus = EmailStatus

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", null=True, blank=True
    )
    # Someone outside the organisation (a customer contact named by a case field): no portal
    # account, so no user; only the e-mail goes to this address.
    address = models.EmailField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="Portal path, e.g. /tasks/12/")
    case_id = models.BigIntegerField(null=True, blank=True)
    task_id = models.BigIntegerField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=200)
    email_status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_last_error = models.TextField(blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    # When the retry sweep should (re)try the e-mail; null once sent, skipped or given up.
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "dedupe_key"], name="notify_one_per_user_and_event"),
            models.UniqueConstraint(
                fields=["address", "dedupe_key"],
                condition=models.Q(user__isnull=True),
                name="notify_one_per_address_and_event",
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(address=""), name="notify_user_or_address"
            ),
        ]
        indexes = [
            # The header badge (unread count) and the list (unread first, newest first).
            models.Index(fields=["user", "read_at", "-created"], name="notify_user_inbox"),
            models.Index(fields=["email_status", "-created"], name="notify_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.user_id or self.address}: {self.subject}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def gave_up(self) -> bool:
        return self.email_status == EmailStatus.FAILED and self.next_attempt_at is None
