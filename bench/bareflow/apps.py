from django.apps import AppConfig


class BareflowConfig(AppConfig):
    name = "bench.bareflow"
    label = "bareflow"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # viewflow resolves a flow's app label from its module: the flow must live in an app.
        from . import flows  # noqa: F401
