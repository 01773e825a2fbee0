"""SLA clocks follow the engine's lifecycle events (apps.cases.events): a clock starts with the
case and with each person's task, pauses while the requester reworks the case, and resumes when
they send it back. Connected in SlaConfig.ready()."""

from django.dispatch import receiver

from apps.audit.models import Action
from apps.audit.services import audit_record
from apps.cases import events
from apps.cases.policy import REWORK, task_kind

from . import clocks
from .models import ClockKind


@receiver(events.case_started, dispatch_uid="sla-case-started")
def _case_started(sender, *, case, **details):
    clocks.clock_start(case=case, kind=ClockKind.CASE)


@receiver(events.task_created, dispatch_uid="sla-task-created")
def _task_created(sender, *, case, task, **details):
    kind = ClockKind.REWORK if task_kind(task) == REWORK else ClockKind.APPROVAL
    clocks.clock_start(case=case, task=task, kind=kind)


@receiver(events.case_returned, dispatch_uid="sla-case-returned")
def _case_returned(sender, *, case, **details):
    if clocks.clock_pause_case(case=case):
        audit_record(action=Action.SLA_PAUSED, case=case, reason="Waiting on the requester.")


@receiver(events.task_completed, dispatch_uid="sla-task-completed")
def _task_completed(sender, *, case, task, **details):
    if task_kind(task) == REWORK:  # the requester sent the case back: its clock runs again
        clocks.clock_resume_case(case=case)
