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
