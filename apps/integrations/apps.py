from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"
    verbose_name = "Integrations: outbound webhooks"

    def ready(self):
        from apps.cases.policy import case_readers_add, case_writers_add

        from . import receivers  # noqa: F401  (the engine's lifecycle events)
        from .policy import steps_case_reader, steps_case_writer

        case_readers_add(steps_case_reader)
        case_writers_add(steps_case_writer)
        from .schedules import ensure_schedules_after_migrate

        # NOTE: sender=self, so the schedule is declared once per migrate, not once per app.
        post_migrate.connect(ensure_schedules_after_migrate, sender=self, dispatch_uid="integrations-schedules")
