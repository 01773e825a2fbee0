"""Where a step ends: started by the flow, failed for good (the exception queue, or the end of
the case with compensation), timed out waiting, called back, or stopped with its case."""

import logging
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from apps.audit.models import Action
from apps.audit.services import audit_record
from apps.cases.models import CaseState, Outcome
from apps.cases.services import case_close, case_locked, case_mark_exception, step_done, step_exception
from apps.cases.taskinfo import task_note
from apps.core.errors import Busy, Conflict
from apps.core.outbox import outbox_lease_due
from apps.definitions.accessors import Stage, spec_of
from apps.definitions.spec import STEP_DEFAULT_WAIT_HOURS
from apps.notify.models import Kind
from apps.notify.services import notification_send
from apps.org import roles
from apps.org.selectors import role_members

from . import base
from .base import PENDING_GRACE, queue_after_commit, step_key_for, step_spec
from .models import STEP_OPEN, ExceptionCategory, StepAttempt, StepKind, StepRun, StepStatus

logger = logging.getLogger(__name__)

MSG_CLOSED_UNDO_SENT = (
    "The case closed while this call to {system} may have taken effect (it timed out): its undo call was sent."
)
MSG_CLOSED_CHECK = (
    "The case closed while this call to {system} may have taken effect (it timed out) and the step has no "
    "undo: check {system} for idempotency key {key} and reverse it there if it was booked."
)
MSG_CHECK_SUBJECT = "Check {system}: request #{case} closed after a call that may have taken effect"
MSG_WAIT_TIMEOUT = "No callback from {system} within {hours:g} hours."
MSG_NOT_WAITING = "Case {case} is not waiting for step '{step}'."


def step_started(*, case, task, stage: Stage) -> StepRun:
    """The flow reached an automated step: record it and queue the call (after commit).

    Called by the flow inside the transaction that created the engine task.
    """
    now = timezone.now()
    # NOTE: a step runs once per case: routing skips it once it succeeded or was skipped, and until
    # then the case stays on it (or closes). So a new run is always revision 1.
    revision = 1
    is_wait = stage.is_wait
    # A scheduled call ("not_before": a date field, e.g. when access expires) is left to the retry
    # sweep, which queues it once that day has begun; before then nothing is called.
    scheduled = None if is_wait else not_before(case, stage)
    due = scheduled if scheduled is not None and scheduled > now else None
    run = StepRun(
        case=case,
        task_id=task.pk,
        step_key=stage.key,
        step_name=stage.name,
        system=stage.system,
        kind=StepKind.WAIT if is_wait else StepKind.UI if stage.is_ui else StepKind.CALL,
        status=StepStatus.WAITING if is_wait else StepStatus.PENDING,
        revision=revision,
        idempotency_key=step_key_for(case_id=case.pk, step_key=stage.key, revision=revision),
        next_attempt_at=due or now + (timedelta(hours=stage.timeout_hours) if is_wait else PENDING_GRACE),
        created=now,
    )
    run.save()
    task_note(task, kind="step", label=run.step_name, system=run.system, step_run=run.pk)
    audit_record(
        action=Action.STEP_STARTED,
        case=case,
        task=task,
        step=run.step_name,
        reason=f"Waiting on {run.system}" + (f" until {due.isoformat()}." if due else "."),
        context={"system": run.system, "kind": run.kind, "idempotency_key": run.idempotency_key}
        | ({"not_before": due.isoformat()} if due else {}),
    )
    if not is_wait and due is None:
        queue_after_commit([run.pk], ui=stage.is_ui)
    return run


def not_before(case, stage: Stage) -> datetime | None:
    """When a scheduled step may call: the start of the day its date field names, in the
    installation's time zone; None when it has no such field or the case no such date."""
    if not stage.not_before:
        return None
    try:
        day = date.fromisoformat(str((case.data or {}).get(stage.not_before) or ""))
    except ValueError:
        return None
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def fail_for_good(case, run: StepRun, category: str, message: str) -> None:
    """Retries are exhausted or pointless: the exception queue, or the end of the case."""
    now = timezone.now()
    run.status, run.category, run.failed_at, run.next_attempt_at, run.last_error = (
        StepStatus.EXCEPTION,
        category,
        now,
        None,
        message,
    )
    stage = step_spec(case, run.step_key)
    fails_case = run.kind != StepKind.UNDO and case.is_open and stage is not None and stage.on_failure == "fail_case"
    to_queue = not fails_case and run.kind != StepKind.UNDO and case.is_open
    case_mark_exception(case=case, saved_next=fails_case or to_queue)
    if fails_case:
        run.status, run.finished, run.resolution = StepStatus.CANCELLED, now, "The case failed with this step."
        run.save()
        case_close(
            case=case,
            actor=None,
            state=CaseState.FAILED,
            outcome=Outcome.FAILED,
            reason=f"{run.step_name} failed ({run.get_category_display().lower()}): {message}",
            action=Action.CASE_FAILED,
            context={"step_run": run.pk, "category": category},
        )
        return
    run.save()
    audit_record(
        action=Action.STEP_FAILED,
        case=case,
        step=run.step_name,
        reason=message,
        context={"system": run.system, "category": category, "attempts": run.attempts, "step_run": run.pk},
    )
    _notify_operators(case, run, message)
    if to_queue:
        step_exception(case=case, run=run, message=message)


def _notify_operators(case, run: StepRun, message: str) -> None:
    notification_send(
        users=[run.assigned_to] if run.assigned_to_id else role_members(role=roles.OPERATORS),
        kind="exception",
        subject=f"Request #{case.pk}: {run.step_name} failed ({run.get_category_display().lower()})",
        body=message,
        url=f"/exceptions/{run.pk}/",
        case=case,
        dedupe_key=f"exception:{run.pk}:{run.revision}:{run.attempts}",
    )


def uncertain_calls(*, case) -> list[StepRun]:
    """Calls of the case whose last attempt timed out: the other system may have done the work
    (it booked the invoice, then our wait ran out). Closing the case must not leave that behind."""
    return list(
        StepRun.objects.filter(
            case=case,
            kind__in=[StepKind.CALL, StepKind.UI],
            status=StepStatus.EXCEPTION,
            category=ExceptionCategory.TIMEOUT,
        ).order_by("pk")
    )


def steps_close(*, case) -> dict:
    """The case is closing without finishing (withdrawn, auto-closed, cancelled, failed): stop its
    open steps and undo the ones already done. Returns what the closing audit row should say:
    {"compensation": [undo calls queued], "uncertain": {...}} (empty parts left out).

    A call that timed out may have taken effect, and nobody at hand can say (the requester who
    withdraws, the SLA sweep that auto-closes): its undo call is sent when the step has one (an
    undo by the same idempotency key is harmless if nothing was booked); when it has none, the
    operators are told to check the other system. An operator who cancels the case resolves such
    calls first (repair.step_cancel_case), so none are left here then."""
    now = timezone.now()
    spec = spec_of(case.version)
    uncertain = [r for r in uncertain_calls(case=case) if not r.undos.exists()]
    undone, to_check = [], []
    for run in uncertain:
        if _has_undo(spec.stage(run.step_key)):
            undone.append(undo_queue(case=case, run=run, at=now).step_name)
            run.resolution = MSG_CLOSED_UNDO_SENT.format(system=run.system)
        else:
            to_check.append(run)
            run.resolution = MSG_CLOSED_CHECK.format(system=run.system, key=run.idempotency_key)
        run.save(update_fields=["resolution"])
    StepRun.objects.filter(case=case, status__in=STEP_OPEN).exclude(kind=StepKind.UNDO).update(
        status=StepStatus.CANCELLED, finished=now, next_attempt_at=None
    )
    for run in [] if case.is_sandboxed else to_check:  # a test case involves its starter alone
        notification_send(
            users=role_members(role=roles.OPERATORS),
            kind=Kind.EXCEPTION,
            subject=MSG_CHECK_SUBJECT.format(system=run.system, case=case.pk),
            body=run.resolution,
            url=f"/exceptions/{run.pk}/",
            case=case,
            dedupe_key=f"uncertain-closed:{run.pk}",
        )
    result = {}
    compensation = _compensate(case)
    if compensation:
        result["compensation"] = compensation
    if uncertain:
        result["uncertain"] = {
            "steps": [r.step_name for r in uncertain],
            "choice": "undo" if not to_check else "operators told",
            "undo_sent": undone,
            "to_check": [r.step_name for r in to_check],
        }
    return result


def _compensate(case) -> list[str]:
    """Queue the undo call of every succeeded step that has one, latest first; returns their names."""
    now = timezone.now()
    spec = spec_of(case.version)
    done = StepRun.objects.filter(case=case, kind=StepKind.CALL, status=StepStatus.SUCCEEDED).order_by(
        "-finished", "-pk"
    )
    undos = [
        undo_queue(case=case, run=run, at=now)
        for run in done
        if _has_undo(spec.stage(run.step_key)) and not run.undos.exists()
    ]
    return [u.step_name for u in undos]


def _has_undo(stage: Stage | None) -> bool:
    return stage is not None and stage.has_undo


def undo_queue(*, case, run: StepRun, at=None) -> StepRun:
    """Queue the undo call of one step that took effect (after commit)."""
    at = at or timezone.now()
    undo = StepRun(
        case=case,
        step_key=run.step_key,
        step_name=f"Undo {run.step_name}",
        system=run.system,
        kind=StepKind.UNDO,
        undo_of=run,
        status=StepStatus.PENDING,
        idempotency_key=step_key_for(case_id=case.pk, step_key=run.step_key, revision=run.revision, undo=True),
        next_attempt_at=at + PENDING_GRACE,
        created=at,
    )
    undo.save()
    queue_after_commit([undo.pk])
    return undo


def wait_hours(case, step_key: str) -> float:
    """How long a wait step waits for its callback (the default when the step has gone from the spec)."""
    stage = step_spec(case, step_key)
    return stage.timeout_hours if stage is not None else float(STEP_DEFAULT_WAIT_HOURS)


def step_retry_due(*, at: datetime | None = None) -> int:
    """Queue steps due for a retry, queued steps whose message got lost and attempts whose
    worker died (their lease ended); time out waits nobody called back. Safe to run concurrently."""
    at = at or timezone.now()
    due = [StepStatus.PENDING, StepStatus.RETRYING, StepStatus.RUNNING]
    queued = outbox_lease_due(
        queryset=StepRun.objects.filter(kind__in=[StepKind.CALL, StepKind.UNDO], status__in=due),
        at=at,
        enqueue=base.enqueue,  # looked up now: tests may stand in for the queue
    )
    # UI steps go to their own queue (base.UI_QUEUE), so they never hold up the calls above.
    queued += outbox_lease_due(
        queryset=StepRun.objects.filter(kind=StepKind.UI, status__in=due), at=at, enqueue=base.enqueue_ui
    )
    return queued + _time_out_waits(at)


def _time_out_waits(at: datetime) -> int:
    expired = list(
        StepRun.objects.filter(kind=StepKind.WAIT, status=StepStatus.WAITING, next_attempt_at__lte=at).values_list(
            "pk", "case_id"
        )[:500]
    )
    for run_id, case_id in expired:
        try:
            _time_out_wait(run_id, case_id)
        except Busy:
            logger.warning("wait step %s of case %s: the case is busy; timed out on the next sweep", run_id, case_id)
    return len(expired)


def _time_out_wait(run_id: int, case_id: int) -> None:
    with case_locked(case_id) as case:
        run = StepRun.objects.select_for_update().filter(pk=run_id, status=StepStatus.WAITING).first()
        if run is None:
            return
        hours = wait_hours(case, run.step_key)
        message = MSG_WAIT_TIMEOUT.format(system=run.system, hours=hours)
        StepAttempt.objects.create(
            run=run,
            number=run.attempts,
            revision=run.revision,
            outcome="failed",
            category=ExceptionCategory.TIMEOUT,
            error=message,
        )
        fail_for_good(case, run, ExceptionCategory.TIMEOUT, message)


def step_callback(*, case_id: int, step_key: str, data: dict, actor, delivery: str = "") -> StepRun:
    """The other system called back: write what it sent into the case and finish the wait."""
    with case_locked(case_id, actor) as case:
        run = (
            StepRun.objects.select_for_update()
            .filter(
                case=case, step_key=step_key, kind=StepKind.WAIT, status__in=[StepStatus.WAITING, StepStatus.EXCEPTION]
            )
            .first()
        )
        if run is None or not case.is_open:
            raise Conflict(MSG_NOT_WAITING.format(case=case_id, step=step_key))
        cleaned = spec_of(case.version).clean(data or {}, base=case.data, intake=False)
        changed = {k: v for k, v in cleaned.items() if (case.data or {}).get(k) != v}
        run.status, run.finished, run.next_attempt_at, run.category = StepStatus.SUCCEEDED, timezone.now(), None, ""
        run.last_response = {"callback": delivery, "fields": sorted(changed)}
        run.save()
        step_done(
            case=case,
            run=run,
            data=changed,
            actor=actor,
            audit={
                "action": Action.STEP_CALLBACK,
                "reason": f"{run.system} called back.",
                "context": {"delivery": delivery, "fields": sorted(changed)},
            },
        )
        return run
