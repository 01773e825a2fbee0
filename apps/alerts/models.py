"""A workflow owner's thresholds (issue 13: "aging over 5 business days, exception rate over 5 %,
SLA met under 90 %") and whether each is crossed now. Crossing is remembered on the row, so the
owners are told once when it happens, not on every check."""

from django.conf import settings
from django.db import models


class Metric(models.TextChoices):
    AGING = "aging_days", "Oldest open case older than (business days)"
    EXCEPTION_RATE = "exception_rate", "Exception rate over (%)"
    SLA_MET = "sla_met", "SLA met under (%)"


class AlertRule(models.Model):
    workflow_key = models.SlugField(max_length=100)
    metric = models.CharField(max_length=20, choices=Metric.choices)
    threshold = models.DecimalField(max_digits=9, decimal_places=2)
    window_days = models.PositiveSmallIntegerField(
        default=30, help_text="Rates count the cases of the last this many days."
    )
    active = models.BooleanField(default=True)
    crossed_at = models.DateTimeField(null=True, blank=True, help_text="Since when the threshold is crossed.")
    last_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    last_checked = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    changed = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workflow_key", "metric"], name="alert_rule_one_per_metric")]
        ordering = ["workflow_key", "metric"]

    def __str__(self):
        return f"{self.workflow_key}: {self.get_metric_display()} {self.threshold}"

    @property
    def is_crossed(self) -> bool:
        return self.crossed_at is not None
