"""Webhooks and automated steps follow the engine's lifecycle events (apps.cases.events).
Connected in IntegrationsConfig.ready().

- Webhooks: each event a subscriber may listen to is recorded as deliveries in the transaction
  of the change and sent after commit (services.event_publish).
- Automated steps: a step's task starts its run; a case that closes without finishing stops its
  open steps and queues the undo of each step already done (compensation), reported in the
  audit row that records the end.
"""

from django.dispatch import receiver

from apps.audit.models import Action
from apps.cases import events
from apps.cases.models import CaseState

from .services import event_publish
from .steps import step_started, steps_close


@receiver(events.case_started, dispatch_uid="webhooks-case-started")
def _case_started(sender, *, case, **details):
    event_publish(name="case.started", case=case, data=case.data)


@receiver(events.task_created, dispatch_uid="webhooks-task-created")
def _task_created(sender, *, case, task, **details):
    event_publish(name="task.created", case=case, task=task)


@receiver(events.task_completed, dispatch_uid="webhooks-task-completed")
def _task_completed(sender, *, case, task, decision, **details):
    event_publish(name="task.completed", case=case, task=task, data={"decision": decision})


@receiver(events.case_exception, dispatch_uid="webhooks-case-exception")
def _case_exception(sender, *, case, step, system, category, message, **details):
    event_publish(
        name="case.exception",
        case=case,
        data={"step": step, "system": system, "category": category, "message": message},
    )


@receiver(events.step_reached, dispatch_uid="steps-step-reached")
def _step_reached(sender, *, case, task, stage, **details):
    step_started(case=case, task=task, stage=stage)


@receiver(events.case_closed, dispatch_uid="steps-case-closed")
def _compensate(sender, *, case, action, **details):
    """What automated steps did for a case that ends without being approved is undone."""
    if action == Action.CASE_CLOSED and (case.state != CaseState.REJECTED or not case.steps_done):
        return None  # approved, or turned down before any step had done anything
    undone = steps_close(case=case)
    return {"compensation": undone} if undone else None


# NOTE: connected after the compensation receiver, so "case.closed" is published once the undo
# calls are queued, as receivers saw it before the engine was split into rooms.
@receiver(events.case_closed, dispatch_uid="webhooks-case-closed")
def _case_closed(sender, *, case, **details):
    event_publish(name="case.closed", case=case, data=case.data)
