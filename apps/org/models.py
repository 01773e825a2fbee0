"""The organisation: departments, each person's manager chain, and roles (Django groups)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from apps.core.moments import MSG_TIME_ZONE, is_time_zone


def validate_time_zone(value: str) -> None:
    if value and not is_time_zone(value):
        raise ValidationError(MSG_TIME_ZONE.format(value=value), code="time_zone")


class Department(models.Model):
    name = models.CharField(max_length=100, unique=True)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Profile(models.Model):
    """What the workflow engine needs to know about a person beyond their login."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    title = models.CharField(max_length=100, blank=True)
    location = models.CharField(
        max_length=100, blank=True, help_text="Where the person works (a site or city); routing rules may ask."
    )
    cost_center = models.CharField(
        max_length=50, blank=True, help_text="The cost center this person owns, if any; routing rules may ask."
    )
    backup = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="backing_up",
        help_text="Takes this person's tasks when an SLA reroutes them.",
    )
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="Times are shown to this person in this zone, e.g. Europe/Berlin; blank: the installation's.",
    )

    history = HistoricalRecords()

    def __str__(self):
        return f"{self.user} ({self.department or 'no department'})"


class Absence(models.Model):
    """Out of office: while it lasts, new tasks for the person go to the delegate."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences")
    starts = models.DateTimeField()
    ends = models.DateTimeField()
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations")
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts"]
        indexes = [models.Index(fields=["user", "starts", "ends"])]

    def __str__(self):
        return f"{self.user} away {self.starts:%Y-%m-%d} to {self.ends:%Y-%m-%d}, delegate {self.delegate}"
