"""Workflow definitions and their versions. A draft is editable; a published version is frozen."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .accessors import texts_of


class WorkflowDefinition(models.Model):
    key = models.SlugField(max_length=100, unique=True, help_text="Stable identifier used by the API.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

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
