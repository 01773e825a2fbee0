from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "apps.audit"
    label = "audit"

    def ready(self):
        from . import receivers
        from .triggers import install_after_migrate

        receivers.connect()
        post_migrate.connect(install_after_migrate, sender=self, dispatch_uid="audit-append-only-trigger")
