from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BuilderConfig(AppConfig):
    name = "apps.builder"
    verbose_name = "Workflow builder"

    def ready(self):
        from apps.cases import events

        from .change_control import case_closed_receiver
        from .schedules import ensure_schedules_after_migrate

        # A change request's case closing publishes (or rejects) the reviewed draft.
        events.case_closed.connect(case_closed_receiver, dispatch_uid="builder-change-control")
        post_migrate.connect(ensure_schedules_after_migrate, sender=self, dispatch_uid="builder-schedules")
