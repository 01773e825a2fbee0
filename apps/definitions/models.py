"""Workflow definitions and their versions. A draft is editable; a published version is frozen.

Change control lives here too: a workflow may need a second owner's approval to publish
(`ChangeRequest`, decided as a case of the built-in `workflow-change` workflow), has a next
review date, and keeps an improvement backlog fed from task pages (`Feedback`)."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .accessors import texts_of

# How often a workflow's owners review it when nobody says otherwise: quarterly.
REVIEW_INTERVAL_DAYS = 91


def next_review_default():
    return timezone.localdate() + timedelta(days=REVIEW_INTERVAL_DAYS)


class WorkflowDefinition(models.Model):
    key = models.SlugField(max_length=100, unique=True, help_text="Stable identifier used by the API.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    needs_second_approval = models.BooleanField(
        default=False, help_text="Publishing needs another owner's approval (a change request)."
    )
    next_review = models.DateField(
        default=next_review_default, help_text="When the owners next confirm the workflow still fits."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        permissions = [("edit_definition", "Can edit the drafts of this definition")]

    def __str__(self):
        return self.name


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class DefinitionVersion(models.Model):
    """One version of a definition's spec. Published versions are immutable and numbered."""

    definition = models.ForeignKey(WorkflowDefinition, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(null=True, blank=True, help_text="Set when published.")
    status = models.CharField(max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    spec = models.JSONField(default=dict)
    content_hash = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    change_note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["definition", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "number"], name="version_number_unique"),
            models.UniqueConstraint(
                fields=["definition"],
                condition=models.Q(status="draft"),
                name="one_draft_per_definition",
            ),
        ]

    def __str__(self):
        label = f"v{self.number}" if self.number else "draft"
        return f"{self.definition.key} {label}"

    def save(self, *args, **kwargs):
        if getattr(self, "_stored_status", None) == VersionStatus.PUBLISHED:
            raise PermissionError("A published version is immutable; start a new draft instead.")
        super().save(*args, **kwargs)
        self._stored_status = self.status

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_status = instance.status
        return instance

    @property
    def is_published(self) -> bool:
        return self.status == VersionStatus.PUBLISHED

    @property
    def texts(self):
        """This version's description and start-form text (typed; see accessors.texts_of)."""
        return texts_of(self)


class ChangeStatus(models.TextChoices):
    OPEN = "open", "Waiting for approval"
    APPROVED = "approved", "Approved and published"
    REJECTED = "rejected", "Rejected"
    REFUSED = "refused", "Refused: the draft changed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ChangeRequest(models.Model):
    """A request to publish a draft, decided by another owner as a case of `workflow-change`.

    `spec_hash` is the draft's content as it was reviewed: the draft is published only while it
    still has that hash. `case_id` is a plain id: the engine sits above definitions."""

    definition = models.ForeignKey(WorkflowDefinition, on_delete=models.PROTECT, related_name="change_requests")
    draft = models.ForeignKey(DefinitionVersion, on_delete=models.PROTECT, related_name="change_requests")
    spec_hash = models.CharField(max_length=64)
    note = models.TextField(blank=True)
    case_id = models.BigIntegerField(null=True, blank=True, unique=True)
    status = models.CharField(max_length=20, choices=ChangeStatus.choices, default=ChangeStatus.OPEN)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why it was rejected or refused.")
    published_number = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["definition"], condition=models.Q(status="open"), name="one_open_change_per_definition"
            )
        ]

    def __str__(self):
        return f"Change request #{self.pk} for {self.definition.key}"

    @property
    def is_open(self) -> bool:
        return self.status == ChangeStatus.OPEN


class FeedbackStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class Feedback(models.Model):
    """ "This step is wrong": a note from someone doing the work, in the workflow's improvement backlog."""

    definition = models.ForeignKey(WorkflowDefinition, on_delete=models.CASCADE, related_name="feedback")
    version_number = models.PositiveIntegerField(help_text="0 for a test case on a draft.")
    step = models.CharField(max_length=200)
    case_id = models.BigIntegerField(null=True, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=FeedbackStatus.choices, default=FeedbackStatus.OPEN)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["status", "-created", "-id"]
        indexes = [models.Index(fields=["definition", "status"], name="feedback_by_workflow")]

    def __str__(self):
        return f"Feedback on {self.definition.key}: {self.step}"
