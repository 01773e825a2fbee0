from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class OpsConfig(AppConfig):
    name = "apps.ops"
    label = "ops"
    verbose_name = "Operations: health, metrics"

    def ready(self):
        from .schedules import ensure_schedules_after_migrate

        # NOTE: Django sends post_migrate only for apps with models, and this one has none: the
        # worker's heartbeat is declared once django-q2's own app has migrated.
        post_migrate.connect(
            ensure_schedules_after_migrate, sender=apps.get_app_config("django_q"), dispatch_uid="ops-schedules"
        )
