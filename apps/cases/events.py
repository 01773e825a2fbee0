"""The engine's lifecycle events: what happened to a case or a task, emitted inside the transaction
of the change.

The engine never imports a feature app. SLA clocks, notifications, webhooks and automated steps
(and later dashboards and evidence) connect receivers to these signals in their own
`AppConfig.ready()` and act through the engine's services. Receivers run synchronously, in the
transaction, in the order they were connected: an error in one rolls the change back, so a case
never moves without its clocks, notices and deliveries. Side effects that leave the process
(e-mail, HTTP) go through the outbox after commit, never from a receiver.

Every event is sent with `sender=Case` and these keyword arguments:

    case_started     case, actor              (`clock_start(case)`: when a migrated case began)
    case_returned    case                      the route sent the case back to its requester
    case_exception   case, step, system, category, message
    case_closed      case, actor, action, reason
                     receivers may return a dict; it is merged into the audit row's context
                     (automated steps report the undo calls they queued as "compensation")
    task_created     case, task                a person's task (approval or rework) exists
    stage_started    case, tasks               every approval task of a stage round exists (sent
                                               after their task_created events)
    task_assigned    case, task, actor, previous, reason, cause
                     the task changed hands: `task.owner` is the new holder (None: back to a
                     queue), `previous` the user who lost it (None: it was queued); `cause` is
                     one of CAUSES
    task_completed   case, task, actor, decision
    task_cancelled   case, task, actor, reason  nobody needs the task any more
    step_reached     case, task, stage          an automated step's task exists; `stage` its
                                               typed spec (definitions.accessors.Stage)
    attention_needed case, task, subject, reason, key
                     nobody eligible could take a task: the operators must look at it (`key`
                     tells one occurrence from another, so a retried job does not tell twice)
"""

import functools

from django.dispatch import Signal

from .models import Case

case_started = Signal()
case_returned = Signal()
case_exception = Signal()
case_closed = Signal()
task_created = Signal()
stage_started = Signal()
task_assigned = Signal()
task_completed = Signal()
task_cancelled = Signal()
step_reached = Signal()
attention_needed = Signal()

# Why a task changed hands (task_assigned's `cause`).
CLAIM, RELEASE, REASSIGN, ESCALATION, REROUTE, HANDOVER, REQUEUE = (
    "claim",
    "release",
    "reassign",
    "escalation",
    "reroute",
    "handover",
    "requeue",
)
CAUSES = (CLAIM, RELEASE, REASSIGN, ESCALATION, REROUTE, HANDOVER, REQUEUE)


def real_cases_only(receiver_function):
    """For a receiver that acts on the world outside the engine (people, clocks, other systems):
    it does nothing for a sandboxed test case (`Case.is_sandboxed`), whose starter alone is
    involved. Put it under @receiver."""

    @functools.wraps(receiver_function)
    def receive(sender, *, case, **details):
        if case.is_sandboxed:
            return None
        return receiver_function(sender, case=case, **details)

    return receive


# Set on a case object while it is being migrated from a spreadsheet: the moment it began there.
CLOCK_START = "_clock_start"


def clock_start(case):
    """When a clock started for `case` now counts from: None (now), or, while a migrated case is
    being imported, the moment it began in its spreadsheet (its `created_at`)."""
    return getattr(case, CLOCK_START, None)


def emit(signal: Signal, *, case, **details) -> list:
    """Send one event; returns what the receivers returned (None results left out)."""
    return [result for _receiver, result in signal.send(sender=Case, case=case, **details) if result is not None]
