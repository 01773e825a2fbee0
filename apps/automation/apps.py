from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AutomationConfig(AppConfig):
    """Automated steps: runs, attempts, outcomes, repair. Above the engine (which never imports it)
    and beside transport (apps.integrations, which never imports it either): every link to them
    is made here."""

    name = "apps.automation"
    label = "automation"
    verbose_name = "Automation: automated steps"

    def ready(self):
        from apps.cases.policy import case_readers_add, case_writers_add
        from apps.integrations import inbound
        from apps.integrations import tasks as transport_tasks
        from apps.integrations.models import InboundAction

        from . import (
            receivers,  # noqa: F401  (the engine's lifecycle events)
            tasks,
        )
        from .policy import steps_case_reader, steps_case_writer
        from .schedules import ensure_schedules_after_migrate
        from .services import step_callback

        case_readers_add(steps_case_reader)
        case_writers_add(steps_case_writer)
        # A complete_step call to an inbound endpoint finishes a wait step.
        inbound.inbound_handler_register(action=InboundAction.COMPLETE_STEP, handler=step_callback)
        # Queued messages and saved schedules that still name the tasks' old home.
        transport_tasks.task_moved(name="step_attempt", func=tasks.step_attempt)
        transport_tasks.task_moved(name="steps_due", func=tasks.steps_due)
        # NOTE: sender=self, so the schedule is declared once per migrate, not once per app.
        post_migrate.connect(ensure_schedules_after_migrate, sender=self, dispatch_uid="automation-schedules")
