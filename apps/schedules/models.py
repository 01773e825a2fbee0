"""Recurring workflows: a schedule starts a case of a workflow once per period, as its requester."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ScheduleKind(models.TextChoices):
    CRON = "cron", "Cron expression"
    BUSINESS_DAYS = "business_days", "Every N business days"


class WorkflowSchedule(models.Model):
    """When to start a workflow, with which data and as whom.

    Periods are counted from `anchor` (set when the schedule is made, edited or resumed); every
    period up to `covered_until` has been dealt with, and `next_due_at` is the next one (the
    runner reads only due rows).
    """

    definition = models.ForeignKey("definitions.WorkflowDefinition", on_delete=models.CASCADE, related_name="schedules")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ScheduleKind.choices, default=ScheduleKind.CRON)
    cron = models.CharField(max_length=100, blank=True, help_text="Five fields, in the workflow calendar's time zone.")
    every_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Every N working days of the workflow's calendar, at opening time."
    )
    due_within_hours = models.PositiveIntegerField(
        default=8, help_text="Business hours after its period begins by which a run should be closed."
    )
    data = models.JSONField(default=dict, blank=True)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(default=True)
    anchor = models.DateTimeField(default=timezone.now)
    covered_until = models.DateTimeField(default=timezone.now)
    next_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["definition_id", "name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def rule(self) -> str:
        if self.kind == ScheduleKind.BUSINESS_DAYS:
            return f"every {self.every_days} business day{'s' if self.every_days != 1 else ''}"
        return f"cron {self.cron}"


class RunStatus(models.TextChoices):
    STARTED = "started", "Started"
    FAILED = "failed", "Could not start"


class ScheduleRun(models.Model):
    """One period of a schedule, started at most once: the unique period key is the guard that
    makes a second scheduler, or a rerun after downtime, a no-op."""

    schedule = models.ForeignKey(WorkflowSchedule, on_delete=models.CASCADE, related_name="runs")
    period_key = models.CharField(max_length=40)
    due_at = models.DateTimeField(help_text="When the period began (the moment the run was due).")
    due_by = models.DateTimeField(help_text="When the run should be closed.")
    started_at = models.DateTimeField(default=timezone.now)
    started_late = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.STARTED)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-due_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["schedule", "period_key"], name="schedule_run_once_per_period")]

    def __str__(self) -> str:
        return f"{self.schedule} {self.period_key}"
