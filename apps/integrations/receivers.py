"""Webhooks follow the engine's lifecycle events (apps.cases.events). Connected in
IntegrationsConfig.ready().

Each event a subscriber may listen to is recorded as deliveries in the transaction of the change
and sent after commit (services.event_publish). Automated steps have their own receivers
(apps.automation.receivers).
"""

from django.dispatch import receiver

from apps.cases import events

from .services import event_publish


@receiver(events.case_started, dispatch_uid="webhooks-case-started")
@events.real_cases_only
def _case_started(sender, *, case, **details):
    event_publish(name="case.started", case=case, data=case.data)


@receiver(events.task_created, dispatch_uid="webhooks-task-created")
@events.real_cases_only
def _task_created(sender, *, case, task, **details):
    event_publish(name="task.created", case=case, task=task)


@receiver(events.task_completed, dispatch_uid="webhooks-task-completed")
@events.real_cases_only
def _task_completed(sender, *, case, task, decision, **details):
    event_publish(name="task.completed", case=case, task=task, data={"decision": decision})


@receiver(events.case_exception, dispatch_uid="webhooks-case-exception")
@events.real_cases_only
def _case_exception(sender, *, case, step, system, category, message, **details):
    event_publish(
        name="case.exception",
        case=case,
        data={"step": step, "system": system, "category": category, "message": message},
    )


# NOTE: apps.automation comes before this app in INSTALLED_APPS, so its compensation receiver is
# connected first and "case.closed" is published once the undo calls are queued, as it was
# before the engine was split into rooms.
@receiver(events.case_closed, dispatch_uid="webhooks-case-closed")
@events.real_cases_only
def _case_closed(sender, *, case, **details):
    event_publish(name="case.closed", case=case, data=case.data)
