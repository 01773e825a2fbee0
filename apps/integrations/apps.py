from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"
    verbose_name = "Integrations: webhooks and calls to other systems"

    def ready(self):
        from . import receivers  # noqa: F401  (the engine's lifecycle events)
        from .schedules import ensure_schedules_after_migrate

        # NOTE: sender=self, so the schedule is declared once per migrate, not once per app.
        post_migrate.connect(ensure_schedules_after_migrate, sender=self, dispatch_uid="integrations-schedules")
