from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "apps.portal"
    label = "portal"
    verbose_name = "Portal pages of the feature apps, and what every portal page shares"

    def ready(self):
        from . import middleware  # noqa: F401  (remembers a person's time zone when they sign in)
