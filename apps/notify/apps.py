from django.apps import AppConfig
from django.db.models.signals import post_migrate


class NotifyConfig(AppConfig):
    name = "apps.notify"
    label = "notify"
    verbose_name = "Notifications: portal and e-mail"

    def ready(self):
        from apps.cases.policy import case_readers_add

        from . import receivers  # noqa: F401  (the engine's lifecycle events)
        from .policy import asked_to_act_reader

        case_readers_add(asked_to_act_reader)
        from .schedules import ensure_schedules_after_migrate

        # NOTE: sender=self, so the schedule is declared once per migrate, not once per app.
        post_migrate.connect(ensure_schedules_after_migrate, sender=self, dispatch_uid="notify-schedules")
