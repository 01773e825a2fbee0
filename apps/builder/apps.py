from django.apps import AppConfig, apps
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
        # NOTE: Django sends post_migrate only for apps with models, and this one has none: the
        # review reminder is declared once django-q2's own app has migrated (as apps.ops does).
        post_migrate.connect(
            ensure_schedules_after_migrate, sender=apps.get_app_config("django_q"), dispatch_uid="builder-schedules"
        )
