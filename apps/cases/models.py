"""A case: one running (or finished) instance of a workflow definition version.

`Case` extends viewflow's `Process` (multi-table inheritance) so the engine drives it directly;
the case's field values live in `Process.data`.
"""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords
from viewflow.workflow.models import Process
from viewflow.workflow.status import PROCESS


class CaseState(models.TextChoices):
    ROUTING = "routing", "Routing"
    APPROVAL = "approval", "Waiting for approval"
    REWORK = "rework", "Returned to requester"
    WAITING = "waiting", "Waiting on another system"
    EXCEPTION = "exception", "Exception: needs an operator"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"


class Outcome(models.TextChoices):
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"
    AUTO_CLOSED = "auto_closed", "Auto-closed"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"


class ProcessMoment(models.DateTimeField):
    """A copy, on the case row, of one of its viewflow Process row's moments (`created`,
    `finished`), written by every save of the case from the parent's value.

    The metrics filter cases by workflow and test flag (columns of the case row) and by when
    they started or closed (columns of the process row): across two tables no index serves both,
    and the database read every case of the history to find the range's. With the moment on the
    case row, one index range scan finds them (issue 13; bench/README "what dominates").
    The parent row is saved first (multi-table inheritance), so its value is set by then."""

    def __init__(self, *args, source: str = "", **kwargs):
        self.source = source
        kwargs.setdefault("null", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.source)
        setattr(model_instance, self.attname, value)
        return value


def cycle_hours_of(created, finished) -> float:
    """Wall-clock hours from start to close (never negative)."""
    return max((finished - created).total_seconds(), 0.0) / 3600


class Case(Process):
    definition = models.ForeignKey("definitions.WorkflowDefinition", on_delete=models.PROTECT, related_name="cases")
    version = models.ForeignKey("definitions.DefinitionVersion", on_delete=models.PROTECT, related_name="cases")
    # Copies of the definition key and version number, so lists and audit rows need no joins.
    workflow_key = models.CharField(max_length=100, db_index=True)
    version_number = models.PositiveIntegerField(help_text="0 for a test case on a draft.")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_cases")
    state = models.CharField(max_length=20, choices=CaseState.choices, default=CaseState.ROUTING)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, null=True, blank=True)  # noqa: DJ001 - null means "still open"
    closed_reason = models.TextField(blank=True)
    stage = models.CharField(max_length=100, blank=True, help_text="Key of the current approval stage.")
    round = models.PositiveIntegerField(default=0, help_text="Counts the times an approval stage started.")
    route = models.JSONField(default=dict, blank=True, help_text="Why the case is where it is (latest routing).")
    steps_done = models.JSONField(
        default=list, blank=True, help_text="Automated steps that succeeded or were skipped: never run again."
    )
    is_test = models.BooleanField(
        default=False, db_index=True, help_text="Started from a draft to try it out; left out of dashboards."
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="A test case: the workflow owner who started it (and holds every task of it).",
    )
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 - NULLs do not collide in the unique constraint
    idempotency_hash = models.CharField(max_length=64, blank=True)
    # Facts about the case the metrics count, kept on the row by the change that makes them true
    # (same save, same transaction), so no metric reads each case's tasks or steps again.
    returned_count = models.PositiveIntegerField(
        default=0, help_text="Times the case went back to its requester (returned, or data missing)."
    )
    had_exception = models.BooleanField(
        default=False, help_text="An automated step of the case failed for good (reached the exception queue)."
    )
    # A case migrated from a spreadsheet (apps.cases.importing): its id there, unique per
    # workflow (the import skips what it finds), and the note the row carried.
    external_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 - NULLs do not collide in the unique constraint
    migrated = models.BooleanField(default=False, help_text="Imported from a spreadsheet (case_import).")
    migration_note = models.TextField(blank=True)
    cycle_hours = models.FloatField(null=True, blank=True, help_text="Start to close, wall-clock hours.")
    cycle_business_hours = models.FloatField(
        null=True, blank=True, help_text="Start to close, business hours on the version's SLA calendar."
    )

    # When the case started and closed, copied from its process row (ProcessMoment); not in the
    # history (the process's own `created` and `finished` are).
    started_at = ProcessMoment(source="created", help_text="Copy of the process's start, for the metrics' ranges.")
    closed_at = ProcessMoment(source="finished", help_text="Copy of the process's close, for the metrics' ranges.")

    history = HistoricalRecords(excluded_fields=["started_at", "closed_at"])

    class Meta:
        ordering = ["-created"]
        indexes = [
            # Work in progress (apps.metrics): the open real cases, by workflow, whatever the history.
            models.Index(
                fields=["workflow_key", "version_number"],
                condition=models.Q(outcome__isnull=True, is_test=False),
                name="case_open_by_workflow",
            ),
            # The metrics' date ranges (apps.metrics.selectors.base): cases started in, closed in,
            # or open during the range; `closed_at IS NULL` (open) is read through the same index.
            models.Index(fields=["started_at"], name="case_started_at"),
            # Covering what the metrics read and count of the cases closed in a range (cycle
            # times, outcomes, returns), so PostgreSQL answers from the index alone (SQLite
            # ignores `include`).
            models.Index(
                fields=["closed_at"],
                include=[
                    "process_ptr",
                    "workflow_key",
                    "version_number",
                    "is_test",
                    "outcome",
                    "cycle_hours",
                    "cycle_business_hours",
                    "returned_count",
                ],
                name="case_closed_at",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["requester", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="case_idempotency_key_unique",
            ),
            models.UniqueConstraint(
                fields=["definition", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="case_external_id_unique",
            ),
        ]

    def __str__(self):
        return f"{self.workflow_key} #{self.pk}"

    def save(self, *args, **kwargs):
        # Every close saves the finished row (viewflow's End node, or case_close): its wall-clock
        # cycle time goes with that save, so it costs no statement and no history row.
        if self.finished is not None and self.cycle_hours is None and self.created is not None:
            self.cycle_hours = cycle_hours_of(self.created, self.finished)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:  # the copies follow whichever moment is saved
            mirrored = {"created": "started_at", "finished": "closed_at"}
            kwargs["update_fields"] = {*update_fields, *(mirrored[f] for f in update_fields if f in mirrored)}
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status == PROCESS.NEW

    @property
    def is_sandboxed(self) -> bool:
        """A test case: its tasks are held by whoever started it, nobody else is told or asked."""
        return self.is_test and self.started_by_id is not None

    @property
    def version_label(self) -> str:
        """How people read the pinned version: "v3", or "draft (test)" for a test case on a draft."""
        return f"v{self.version_number}" if self.version_number else "draft (test)"

    @property
    def status_label(self) -> str:
        """`open` or `closed`, as the API reports it."""
        return "open" if self.is_open else "closed"


def attachment_path(instance, filename):
    # Stored under the case, named by checksum: no user-chosen path ever reaches the disk.
    return f"cases/{instance.case_id}/{instance.sha256}"


class ApprovalDecision(models.Model):
    """One row per approval task a person decided, written with the decision, in its transaction
    (services.task_complete): what the metrics read of approvals (latency per stage, apps.metrics)
    without the tasks' JSON or a join to the cases. It copies the case's workflow, version and test
    flag, the filters almost every dashboard applies; a filter by team or role reads the cases."""

    task = models.OneToOneField("viewflow.Task", on_delete=models.CASCADE, primary_key=True, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    workflow_key = models.CharField(max_length=100)
    version_number = models.PositiveIntegerField()
    is_test = models.BooleanField()
    stage = models.CharField(max_length=100, blank=True)
    decided_at = models.DateTimeField()
    hours = models.FloatField(help_text="Created to decided, wall-clock hours.")

    class Meta:
        indexes = [
            # The decisions of a date range with what the metrics read (covering on PostgreSQL).
            models.Index(
                fields=["decided_at"],
                include=["workflow_key", "version_number", "is_test", "stage", "hours", "case"],
                name="approval_decided_at",
            )
        ]

    def __str__(self):
        return f"decision of task {self.task_id} on case {self.case_id}"


class Attachment(models.Model):
    """A document attached to a case (a quote, an invoice), stored with its SHA-256 checksum."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: taken by the system (a UI step's screenshot).",
    )
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self):
        return self.name


class Comment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self):
        return f"{self.author} on {self.case}"
