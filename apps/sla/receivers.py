"""SLA clocks follow the engine's lifecycle events (apps.cases.events): a clock starts with the
case and with each person's task, pauses while the requester reworks the case, and resumes when
they send it back. Connected in SlaConfig.ready()."""

from django.dispatch import receiver

from apps.audit.models import Action
from apps.audit.services import audit_record
from apps.cases import events
from apps.cases.models import CaseState
from apps.cases.policy import REWORK, task_kind

from . import clocks
from .models import ClockKind, SlaClock

# NOTE: the clocks of one stage round are written in one INSERT. An approval's clock waits on
# the case object until the engine says every approval task of the round exists
# (`stage_started`), and a case that starts in an approval stage keeps its own clock with them.
# Nothing reads clocks in between: the engine goes straight from routing through the approval
# split. Every other receiver writes what waits first.
PENDING = "_sla_pending_clocks"


def _wait(case, clock) -> None:
    if clock is not None:
        setattr(case, PENDING, [*getattr(case, PENDING, ()), clock])


def _flush(case, *more) -> None:
    pending = [*getattr(case, PENDING, ()), *(c for c in more if c is not None)]
    if hasattr(case, PENDING):
        delattr(case, PENDING)
    if len(pending) == 1:
        pending[0].save()
    elif pending:
        SlaClock.objects.bulk_create(pending)


@receiver(events.case_started, dispatch_uid="sla-case-started")
@events.real_cases_only
def _case_started(sender, *, case, **details):
    if case.migrated and case.outcome:
        return  # migrated closed: its service levels were the old process's, not counted here
    clock = clocks.clock_build(case=case, kind=ClockKind.CASE, at=events.clock_start(case))
    if case.state == CaseState.APPROVAL:
        _wait(case, clock)
    else:
        _flush(case, clock)


@receiver(events.task_created, dispatch_uid="sla-task-created")
@events.real_cases_only
def _task_created(sender, *, case, task, **details):
    if task_kind(task) == REWORK:
        _flush(case, clocks.clock_build(case=case, task=task, kind=ClockKind.REWORK))
    else:
        _wait(case, clocks.clock_build(case=case, task=task, kind=ClockKind.APPROVAL, at=events.clock_start(case)))


@receiver(events.stage_started, dispatch_uid="sla-stage-started")
@events.real_cases_only
def _stage_started(sender, *, case, **details):
    _flush(case)


@receiver(events.step_reached, dispatch_uid="sla-step-reached")
@events.real_cases_only
def _step_reached(sender, *, case, task, stage, **details):
    # A wait step's clock: reminders while the case waits for the other side (a customer).
    if stage is not None and stage.is_wait:
        _flush(case, clocks.clock_build(case=case, task=task, kind=ClockKind.WAIT, stage_key=stage.key))


@receiver(events.case_returned, dispatch_uid="sla-case-returned")
@events.real_cases_only
def _case_returned(sender, *, case, **details):
    _flush(case)
    if clocks.clock_pause_case(case=case):
        audit_record(action=Action.SLA_PAUSED, case=case, reason="Waiting on the requester.")


@receiver(events.task_completed, dispatch_uid="sla-task-completed")
@events.real_cases_only
def _task_completed(sender, *, case, task, **details):
    _flush(case)
    clocks.clock_task_ended(case=case, task=task)
    if task_kind(task) == REWORK:  # the requester sent the case back: its clock runs again
        clocks.clock_resume_case(case=case)


@receiver(events.task_cancelled, dispatch_uid="sla-task-cancelled")
@events.real_cases_only
def _task_cancelled(sender, *, case, task, **details):
    # Nobody needs the task any more (its stage was settled, or the case closes): its clock ends.
    clocks.clock_task_ended(case=case, task=task, at=task.finished)


@receiver(events.case_closed, dispatch_uid="sla-case-closed")
@events.real_cases_only
def _case_closed(sender, *, case, **details):
    # Its clocks are final now: each is written met or breached, and when it counts (the
    # metrics read them by that moment). A person's task's clock was settled when the task ended;
    # the clocks still running, and a wait step's, are classified as they are read.
    clocks.clocks_end(case=case, at=case.finished)
    clocks.case_cycle_record(case=case)
