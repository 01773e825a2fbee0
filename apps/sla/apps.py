from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SlaConfig(AppConfig):
    name = "apps.sla"
    label = "sla"
    verbose_name = "Time: calendars, SLAs and escalation"

    def ready(self):
        from . import receivers  # noqa: F401  (the engine's lifecycle events)
        from .schedules import ensure_schedules_after_migrate

        post_migrate.connect(ensure_schedules_after_migrate, sender=self, dispatch_uid="sla-schedules")
