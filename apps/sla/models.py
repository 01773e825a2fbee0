"""Business calendars, and the SLA clock of every open task."""

from django.db import models
from simple_history.models import HistoricalRecords


def default_working_days() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday to Friday (datetime.weekday())


class BusinessCalendar(models.Model):
    """When the organisation works: time zone, working days and hours, public holidays of a
    country (and region) from the `holidays` package, and closure days of its own."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    working_days = models.JSONField(default=default_working_days, help_text="Weekdays, 0 = Monday.")
    day_start = models.TimeField(default="09:00")
    day_end = models.TimeField(default="17:00")
    country = models.CharField(max_length=2, blank=True, help_text="ISO country code for public holidays, e.g. DE.")
    subdivision = models.CharField(max_length=10, blank=True, help_text="Region code, e.g. BY for Bavaria.")
    closures = models.JSONField(default=list, blank=True, help_text="Extra closed days, as YYYY-MM-DD.")
    is_default = models.BooleanField(default=False, help_text="The organisation's calendar.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_calendar"
            )
        ]

    def __str__(self):
        return self.name


class ClockKind(models.TextChoices):
    APPROVAL = "approval", "Approval"
    REWORK = "rework", "Waiting on the requester"
    CASE = "case", "Whole case"
    WAIT = "wait", "Waiting on another system"


class ClockResult(models.TextChoices):
    MET = "met", "Met"
    BREACHED = "breached", "Breached"


class SlaClock(models.Model):
    """The SLA of one open task (or of a whole case): its due time and escalation levels.

    `levels` holds each level's action and the moment it fires, computed once when the clock
    starts; `next_fire_at` (indexed) is the moment of the next level not fired yet, so a sweep
    reads only what is due, however many tasks are open.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="sla_clocks")
    task = models.OneToOneField(
        "viewflow.Task", null=True, blank=True, on_delete=models.CASCADE, related_name="sla_clock"
    )
    kind = models.CharField(max_length=20, choices=ClockKind.choices)
    started = models.DateTimeField()
    due = models.DateTimeField(null=True, blank=True)
    business_hours = models.BooleanField(default=True)
    calendar_name = models.CharField(max_length=100, blank=True)
    target_hours = models.DecimalField(max_digits=9, decimal_places=2)
    levels = models.JSONField(default=list, blank=True)
    next_level = models.PositiveSmallIntegerField(default=0)
    next_fire_at = models.DateTimeField(null=True, blank=True, db_index=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    # The whole-case clock pauses while the case waits on the requester.
    paused_at = models.DateTimeField(null=True, blank=True)
    elapsed_hours = models.DecimalField(max_digits=9, decimal_places=2, default=0)
    # What the metrics count (apps.sla.selectors), kept on the clock so a dashboard reads the clocks
    # of its date range through an index instead of classifying every clock ever started:
    # `stage`: the approval stage's key, "rework" or "case", fixed when the clock starts;
    # `counted_at` and `result`: once the clock breached (the sweeper's mark) or ended (its task
    # or case did), the moment it counts at and whether it was met or breached (set in the
    # transaction that ends or breaches it; see clocks.clock_settle);
    # `last_fired_at`: the moment of the last level fired so far (the sweeper).
    stage = models.CharField(max_length=100, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=10, choices=ClockResult.choices, blank=True)
    last_fired_at = models.DateTimeField(null=True, blank=True)
    # The case's workflow and version, copied when the clock starts (a case never changes either,
    # like cases.ApprovalDecision's copies): a dashboard scoped to workflows reads the clocks of
    # its range without joining them to their cases.
    workflow_key = models.CharField(max_length=100, default="")
    version_number = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["case", "kind"]),
            # The clocks counted in a date range, with what the metrics read of them (covering on
            # PostgreSQL: an index-only scan, not one heap page per clock; SQLite ignores `include`).
            models.Index(
                fields=["counted_at"],
                include=["workflow_key", "version_number", "case", "result", "stage", "id"],
                condition=models.Q(counted_at__isnull=False),
                name="sla_clock_counted_at_cover",
            ),
            # Clocks still running: a metric counts them as breached once past due.
            models.Index(fields=["due"], condition=models.Q(counted_at__isnull=True), name="sla_clock_running_due"),
            models.Index(
                fields=["last_fired_at"], condition=models.Q(last_fired_at__isnull=False), name="sla_clock_last_fired"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=models.Q(kind="case"), name="one_case_clock_per_case")
        ]

    def __str__(self):
        return f"{self.kind} clock of case {self.case_id} due {self.due}"
