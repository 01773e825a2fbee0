from django.apps import AppConfig


class BuilderConfig(AppConfig):
    name = "apps.builder"
    verbose_name = "Workflow builder"
