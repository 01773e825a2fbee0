"""Automated steps follow the engine's lifecycle events (apps.cases.events). Connected in
AutomationConfig.ready().

A step's task starts its run; a case that closes without finishing stops its open steps and
queues the undo of each step already done (compensation), reported in the audit row that
records the end.
"""

from django.dispatch import receiver

from apps.audit.models import Action
from apps.cases import events
from apps.cases.models import CaseState

from .services import step_started, steps_close


@receiver(events.step_reached, dispatch_uid="steps-step-reached")
def _step_reached(sender, *, case, task, stage, **details):
    step_started(case=case, task=task, stage=stage)


@receiver(events.case_closed, dispatch_uid="steps-case-closed")
def _compensate(sender, *, case, action, **details):
    """What automated steps did for a case that ends without being approved is undone."""
    if action == Action.CASE_CLOSED and (case.state != CaseState.REJECTED or not case.steps_done):
        return None  # approved, or turned down before any step had done anything
    return steps_close(case=case) or None
