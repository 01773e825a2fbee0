"""The audit trail: one append-only row for every decision and state change, each linked to
the one before it by a SHA-256 hash chain (apps.audit.chain; README "Tamper-evident audit trail")."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Action(models.TextChoices):
    CASE_STARTED = "case.started", "Case started"
    CASE_ROUTED = "case.routed", "Case routed"
    CASE_RETURNED = "case.returned", "Returned to requester"
    CASE_RESUBMITTED = "case.resubmitted", "Resubmitted"
    CASE_CLOSED = "case.closed", "Case closed"
    CASE_WITHDRAWN = "case.withdrawn", "Case withdrawn"
    TASK_CREATED = "task.created", "Task created"
    TASK_CLAIMED = "task.claimed", "Task claimed"
    TASK_RELEASED = "task.released", "Task released"
    TASK_DECIDED = "task.decided", "Decision recorded"
    TASK_CANCELLED = "task.cancelled", "Task cancelled"
    TASK_REASSIGNED = "task.reassigned", "Task reassigned"
    CASE_AUTO_CLOSED = "case.auto_closed", "Case auto-closed"
    SLA_REMINDED = "sla.reminded", "Reminder sent"
    SLA_NOTIFIED = "sla.notified", "SLA notice sent"
    SLA_ESCALATED = "sla.escalated", "Escalated"
    SLA_REROUTED = "sla.rerouted", "Rerouted to backup"
    SLA_BREACHED = "sla.breached", "SLA breached"
    SLA_PAUSED = "sla.paused", "SLA clock paused"
    SLA_RESUMED = "sla.resumed", "SLA clock resumed"
    ABSENCE_HANDOVER = "absence.handover", "Tasks handed over"
    COMMENT_ADDED = "comment.added", "Comment added"
    ATTACHMENT_ADDED = "attachment.added", "Attachment added"
    DEFINITION_CREATED = "definition.created", "Definition created"
    VERSION_PUBLISHED = "version.published", "Version published"
    DRAFT_STARTED = "draft.started", "Draft started"
    DRAFT_CHANGED = "draft.changed", "Draft changed"
    DEFINITION_IMPORTED = "definition.imported", "Definition imported"
    STEP_STARTED = "step.started", "Automated step started"
    STEP_SUCCEEDED = "step.succeeded", "Automated step succeeded"
    STEP_FAILED = "step.failed", "Automated step failed: exception"
    STEP_RETRIED = "step.retried", "Step retried by an operator"
    STEP_SKIPPED = "step.skipped", "Step skipped by an operator"
    STEP_ASSIGNED = "step.assigned", "Exception routed to a person"
    STEP_CALLBACK = "step.callback", "Callback received"
    STEP_COMPENSATED = "step.compensated", "Compensation (undo) done"
    CASE_DATA_EDITED = "case.data_edited", "Case data corrected"
    CASE_CANCELLED = "case.cancelled", "Case cancelled"
    CASE_FAILED = "case.failed", "Case failed"
    AUTH_LOGIN_FAILED = "auth.login_failed", "Sign-in failed"
    AUTH_LOCKED_OUT = "auth.locked_out", "Sign-ins locked out"
    CASES_EXPORTED = "cases.exported", "Case list exported"
    ALERT_SET = "alert.set", "Alert threshold set"
    ALERT_CROSSED = "alert.crossed", "Alert threshold crossed"
    ALERT_CLEARED = "alert.cleared", "Alert back within threshold"
    ROLE_GRANTED = "role.granted", "Role granted"
    ROLE_REVOKED = "role.revoked", "Role removed"
    AUDIT_EXPORTED = "audit.exported", "Audit events exported"
    EVIDENCE_EXPORTED = "evidence.exported", "Evidence pack exported"
    CHANGE_REQUESTED = "change.requested", "Change requested"
    CHANGE_APPROVED = "change.approved", "Change approved and published"
    CHANGE_REJECTED = "change.rejected", "Change rejected"
    CHANGE_REFUSED = "change.refused", "Change refused: the draft changed"
    CHANGE_WITHDRAWN = "change.withdrawn", "Change request withdrawn"
    GOVERNANCE_CHANGED = "governance.changed", "Ownership or change control changed"
    REVIEW_DONE = "review.done", "Reviewed, no change"
    FEEDBACK_GIVEN = "feedback.given", "Feedback on a step"
    FEEDBACK_DONE = "feedback.done", "Feedback marked done"
    CASE_IMPORTED = "case.imported", "Case migrated from a spreadsheet"
    CASES_IMPORTED = "cases.imported", "Cases imported from a spreadsheet"
    SCHEDULE_CHANGED = "schedule.changed", "Schedule created or changed"
    SCHEDULE_STARTED = "schedule.started", "Started by a schedule"
    SCHEDULE_FAILED = "schedule.failed", "Scheduled run could not start"
    SCHEDULE_SKIPPED = "schedule.skipped", "Missed scheduled periods skipped"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only.")

    def delete(self):
        raise PermissionError("Audit events are append-only.")


class AuditEvent(models.Model):
    """Who did what, when, why, with which context.

    The case and task are kept as plain ids (not foreign keys) so the trail outlives
    anything it describes, and the actor's name is copied so revoking a login keeps history.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    # NOTE: PROTECT, not SET_NULL: clearing the actor would rewrite a chained row (and the
    # database refuses UPDATE on this table). People who leave are deactivated, not deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=40, choices=Action.choices, db_index=True)
    case_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    task_id = models.BigIntegerField(null=True, blank=True)
    workflow = models.CharField(max_length=100, blank=True)
    version = models.PositiveIntegerField(null=True, blank=True)
    step = models.CharField(max_length=100, blank=True)
    reason = models.TextField(blank=True)
    comment = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True, help_text="Snapshot of the case data at the time.")
    context = models.JSONField(default=dict, blank=True, help_text="Why: rule results, decision details.")
    # The chain (apps.audit.chain): the position in the installation's one chain, the hash of the
    # event before it, the hash of the case's previous event ("" without a case) and this
    # event's own hash over its canonical content and both links.
    seq = models.BigIntegerField(unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    case_prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["case_id", "at"]),
            models.Index(fields=["case_id", "seq"], name="audit_audit_case_id_seq_idx"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only.")


class ChainHead(models.Model):
    """The evidence log: the chain's last event of a (UTC) day, written once the day is over by
    the daily verification (and by an export). An earlier head that no longer matches the
    events shows that the chain was rewritten after it was recorded, even a whole tail."""

    day = models.DateField(unique=True)
    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["day"]

    def __str__(self):
        return f"{self.day}: #{self.seq} {self.hash[:12]}"


class ChainVerification(models.Model):
    """One run of the chain's verification (the daily schedule or `audit_verify`)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    ok = models.BooleanField()
    count = models.BigIntegerField(default=0)
    message = models.TextField()
    break_seq = models.BigIntegerField(null=True, blank=True)
    break_how = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.message}"
