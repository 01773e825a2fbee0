from django.apps import AppConfig
from django.urls import register_converter


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self):
        from .converters import IdConverter

        # Before any urls.py is loaded, so every app can write <id:...> without importing anything.
        register_converter(IdConverter, "id")

        from . import checks  # noqa: F401  (the deploy checks of our own controls: CSP, lockout, throttles)
