from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AlertsConfig(AppConfig):
    name = "apps.alerts"
    label = "alerts"
    verbose_name = "Alerts and digests"

    def ready(self):
        from .schedules import ensure_schedules_after_migrate

        post_migrate.connect(ensure_schedules_after_migrate, dispatch_uid="alerts-schedules")
