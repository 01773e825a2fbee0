"""Automated steps, engine side: what happens to a case when its step finishes, fails for good,
or an operator closes it. Everything here runs under the case's flow lock (`case_locked`), in the
transaction that also records the step's attempt, so a case never moves without its history.

The step runner and the operators' repair actions live in `apps.integrations.steps`.
"""

from contextlib import contextmanager

from django.utils import timezone
from viewflow.fsm import TransitionNotAllowed
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from apps.audit.services import audit_batch, audit_record
from apps.core.errors import Busy, Conflict, NotFound
from apps.integrations.services import event_publish
from apps.integrations.steps import steps_close

from . import notices
from .acting import acting
from .flows import CaseFlow
from .models import Case, CaseState
from .services import MSG_BUSY, MSG_CASE_CLOSED, MSG_WRONG_STATE, _cancel_open_tasks

MSG_CASE_NOT_FOUND = "Case {id} does not exist."
MSG_STEP_NOT_WAITING = "This step is no longer waiting: it was finished or cancelled meanwhile."


@contextmanager
def case_locked(case_id: int, actor=None):
    """Take the case's flow lock, read the case under it, batch the audit rows, act as `actor`."""
    try:
        with CaseFlow.lock(case_id), audit_batch(), acting(actor):
            case = Case.objects.select_related("version").filter(pk=case_id).first()
            if case is None:
                raise NotFound(MSG_CASE_NOT_FOUND.format(id=case_id))
            case._history_user = actor
            yield case
    except FlowLockFailed:
        raise Busy(MSG_BUSY) from None
    except TransitionNotAllowed:
        raise Conflict(MSG_WRONG_STATE) from None


def _waiting_task(case: Case, run) -> Task:
    task = Task.objects.filter(pk=run.task_id, process_id=case.pk).first()
    if task is None or task.status != STATUS.NEW:
        raise Conflict(MSG_STEP_NOT_WAITING)
    task.process = case
    return task


def step_done(*, case: Case, run, data: dict, actor=None, audit: dict) -> None:
    """The step succeeded, or an operator skipped it: write what it brought back, never run it
    again for this case, and move the case on (the route node saves it)."""
    task = _waiting_task(case, run)
    if data:
        case.data = {**(case.data or {}), **data}
    case.steps_done = [*(case.steps_done or []), run.step_key]
    audit_record(actor=actor, case=case, task=task, step=run.step_name, data=data, **audit)
    activation = task.flow_task.activation_class(task)
    activation.run(None)
    task.data.update(outcome=run.status)
    activation.execute()


def step_exception(*, case: Case, run, message: str) -> None:
    """The step failed for good: the case waits in the exception queue for an operator.

    The failure itself (audit row, operators told) is recorded by the step's own outcome code."""
    case.state = CaseState.EXCEPTION
    case.route = {
        **case.route,
        "outcome": CaseState.EXCEPTION,
        "summary": f"Exception at {run.step_name} ({run.get_category_display().lower()}): {message}",
    }
    case.save()
    event_publish(
        name="case.exception",
        case=case,
        data={"step": run.step_key, "system": run.system, "category": run.category, "message": message},
    )


def step_waiting_again(*, case: Case, run) -> None:
    """An operator retries the step: the case shows "waiting on <system>" again."""
    case.state = CaseState.WAITING
    case.route = {
        **case.route,
        "outcome": CaseState.WAITING,
        "summary": f"Waiting on {run.system}: {run.step_name} (retried by an operator).",
    }
    case.save()


def case_close(*, case: Case, actor, state: str, outcome: str, reason: str, action: str, context: dict) -> None:
    """Close an open case that will not finish normally (cancelled by an operator, failed)."""
    if not case.is_open:
        raise Conflict(MSG_CASE_CLOSED)
    _cancel_open_tasks(case, actor=actor, reason=reason)
    case.status, case.finished = PROCESS.CANCELED, timezone.now()
    case.state, case.outcome, case.closed_reason = state, outcome, reason
    case.route = {**case.route, "outcome": state, "summary": reason}
    case.save()
    context = {**context, "compensation": steps_close(case=case)}
    audit_record(action=action, actor=actor, case=case, reason=reason, data=case.data, context=context)
    notices.case_decided(case=case)
    event_publish(name="case.closed", case=case, data=case.data)
