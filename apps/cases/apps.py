from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "apps.cases"
    label = "cases"

    def ready(self):
        # NOTE: viewflow resolves flows by import path; importing here registers them once.
        from . import flows, signals  # noqa: F401
