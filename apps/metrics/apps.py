from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "apps.metrics"
    label = "metrics"
    verbose_name = "Metrics: work in progress, cycle time, approvals, exceptions, rework, SLAs"
