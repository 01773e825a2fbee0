"""Automated steps: running an HTTP step in django-q2 with retries, and the operators' repair
loop (edit data and retry, skip, route to a person, cancel the case) with compensation.

An attempt is three short pieces, so no database lock is held while the other system answers:

1. lease (row lock on the step only): count the attempt, build the request, hold a lease long
   enough for the call; a worker killed mid-call leaves the step RUNNING and the retry sweep
   picks it up again once the lease ends;
2. the HTTP call, outside any transaction, with the step's idempotency key
   (`Idempotency-Key: wms-<case>-<step>-r<revision>`): the same for every attempt of a step, so a
   receiver that honours it sees one effect however often we retry; it changes only when an
   operator corrects the data the request is built from (a different request);
3. record (under the case's flow lock): the attempt, then success (map the answer into the
   case and move it on), a retry later (exponential backoff with jitter, Retry-After wins), or
   the exception queue. Only the attempt that holds the lease may move the case; a late answer
   of a lost attempt is recorded and changes nothing.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from apps.audit.models import Action
from apps.audit.services import audit_record
from apps.core.errors import Busy, Conflict, NotAllowed, NotFound, ValidationFailed
from apps.core.outbox import outbox_lease_due
from apps.definitions.fields import clean_data
from apps.definitions.spec import STEP_DEFAULT_WAIT_HOURS
from apps.notify.services import notification_send

from .calls import (
    DEFAULT_RETRY,
    DEFAULT_TIMEOUT_SECONDS,
    CallResult,
    RequestProblem,
    Verdict,
    call_judge,
    call_send,
    redact,
    request_build,
    response_record,
    retry_delay,
)
from .models import STEP_OPEN, ExceptionCategory, StepAttempt, StepKind, StepRun, StepStatus
from .policy import user_can_repair_steps

logger = logging.getLogger(__name__)
User = get_user_model()

STEP_TASK = "apps.integrations.tasks.step_attempt"
# A queued step whose message got lost (broker down, worker killed before it started) is swept up after this.
PENDING_GRACE = timedelta(minutes=2)
# Beyond the call's own timeout, how long an attempt's lease lasts before the sweep retries it.
LEASE_GRACE = timedelta(seconds=30)

MSG_LOST = "The worker stopped during this attempt (killed or restarted); no answer was recorded."
MSG_NO_SPEC = "The definition version has no step '{key}' any more; check the workflow."
MSG_NO_UNDO = "The step '{key}' has no undo call."
MSG_WAIT_TIMEOUT = "No callback from {system} within {hours:g} hours."
MSG_NOT_REPAIRABLE = "This step is {status}: only a step in the exception queue (or retrying) can be repaired."
MSG_NOT_OPERATOR = "Only operators, integrators, administrators and the person it is routed to can repair steps."
MSG_OWN_CASE = "You requested this case: someone else must repair its steps (segregation of duties)."
MSG_REASON_REQUIRED = "Give a reason."
MSG_ASSIGNEE_UNKNOWN = "No active user '{username}'."
MSG_ASSIGNEE_REQUESTER = "The requester cannot repair their own case; choose someone else."
MSG_NOT_FOUND = "No such step."
MSG_CASE_CLOSED_EDIT = "The case is closed: its data can no longer be changed."
MSG_NOT_WAITING = "Case {case} is not waiting for step '{step}'."
MSG_DRY_RUN = "Test case: the request was built but not sent."
MSG_RECORD_FAILED = "The answer arrived but the case could not move on ({error}); check the workflow, then retry."


def step_key_for(*, case_id: int, step_key: str, revision: int, undo: bool = False) -> str:
    """The idempotency key of a step: the same for every attempt of one revision of the request."""
    return f"wms-{case_id}-{step_key}-{'undo-' if undo else ''}r{revision}"


def _spec(case, step_key: str) -> dict:
    return next((s for s in case.version.spec["stages"] if s.get("key") == step_key), {})


def _enqueue(ids: list[int]) -> None:
    for run_id in ids:
        async_task(STEP_TASK, [run_id])


def _queue_after_commit(run: StepRun) -> None:
    transaction.on_commit(partial(_enqueue, [run.pk]), robust=True)


# --- started by the flow ----------------------------------------------------------------------------


def step_started(*, case, task, stage: dict) -> StepRun:
    """The flow reached an automated step: record it and queue the call (after commit).

    Called by the flow inside the transaction that created the engine task.
    """
    now = timezone.now()
    earlier = StepRun.objects.filter(case=case, step_key=stage["key"], kind__in=[StepKind.CALL, StepKind.WAIT]).count()
    revision = earlier + 1
    is_wait = stage["type"] == "wait"
    run = StepRun(
        case=case,
        task_id=task.pk,
        step_key=stage["key"],
        step_name=stage.get("name", stage["key"]),
        system=stage["system"],
        kind=StepKind.WAIT if is_wait else StepKind.CALL,
        status=StepStatus.WAITING if is_wait else StepStatus.PENDING,
        revision=revision,
        idempotency_key=step_key_for(case_id=case.pk, step_key=stage["key"], revision=revision),
        next_attempt_at=now
        + (timedelta(hours=float(stage.get("timeout_hours", STEP_DEFAULT_WAIT_HOURS))) if is_wait else PENDING_GRACE),
        created=now,
    )
    run.save()
    task.data = {"kind": "step", "label": run.step_name, "system": run.system, "step_run": run.pk}
    task.save(update_fields=["data"])
    audit_record(
        action=Action.STEP_STARTED,
        case=case,
        task=task,
        step=run.step_name,
        reason=f"Waiting on {run.system}.",
        context={"system": run.system, "kind": run.kind, "idempotency_key": run.idempotency_key},
    )
    if not is_wait:
        _queue_after_commit(run)
    return run


# --- one attempt ------------------------------------------------------------------------------------


@dataclass
class _Lease:
    run_id: int
    case_id: int
    number: int
    started: datetime
    timeout: float
    stage: dict
    request: dict = field(default_factory=dict)
    used_secrets: list = field(default_factory=list)
    problem: RequestProblem | None = None
    # A test case (a draft tried out in the builder) never calls the real system: its request is
    # built and shown, and the step succeeds without an answer.
    dry_run: bool = False


def _call_spec(run: StepRun, stage: dict) -> dict:
    """The request template of the run (the step's call, or its undo) with the step's retry policy."""
    if run.kind == StepKind.UNDO:
        undo = stage.get("undo")
        if undo is None:
            raise RequestProblem(MSG_NO_UNDO.format(key=run.step_key), ExceptionCategory.CONFIGURATION)
        return {"retry": stage.get("retry", {}), **undo, "key": run.step_key}
    return {
        **(stage.get("request") or {}),
        "retry": stage.get("retry", {}),
        "response": stage.get("response", {}),
        "key": run.step_key,
    }


def _lease(run_id: int) -> _Lease | None:
    now = timezone.now()
    with transaction.atomic():
        run = (
            StepRun.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("case__version")
            .filter(
                pk=run_id,
                kind__in=[StepKind.CALL, StepKind.UNDO],
                status__in=[StepStatus.PENDING, StepStatus.RETRYING, StepStatus.RUNNING],
            )
            .first()
        )
        if run is None:
            return None  # done, cancelled, in the exception queue, or another worker holds it
        if run.status == StepStatus.RUNNING and run.lease_until and run.lease_until > now:
            return None  # an attempt is under way (a duplicate queue message)
        if run.kind == StepKind.CALL and not run.case.is_open:
            run.status, run.finished, run.next_attempt_at = StepStatus.CANCELLED, now, None
            run.save(update_fields=["status", "finished", "next_attempt_at"])
            return None  # closed meanwhile: nobody needs the answer any more
        if run.status == StepStatus.RUNNING:
            StepAttempt.objects.create(
                run=run,
                number=run.attempts,
                revision=run.revision,
                outcome="lost",
                error=MSG_LOST,
                request=run.last_request,
            )
        case = run.case
        stage = _spec(case, run.step_key)
        timeout = float(stage.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS))
        run.attempts += 1
        run.status = StepStatus.RUNNING
        run.lease_until = run.next_attempt_at = now + timedelta(seconds=timeout) + LEASE_GRACE
        lease = _Lease(
            run_id=run.pk,
            case_id=case.pk,
            number=run.attempts,
            started=now,
            timeout=timeout,
            stage=stage,
            dry_run=case.is_test,
        )
        try:
            if not stage:
                raise RequestProblem(MSG_NO_SPEC.format(key=run.step_key), ExceptionCategory.CONFIGURATION)
            lease.request, lease.used_secrets = request_build(
                spec=_call_spec(run, stage),
                data=case.data or {},
                case_id=case.pk,
                workflow=case.workflow_key,
                version=case.version_number,
                idempotency_key=run.idempotency_key,
                system=run.system,
            )
        except RequestProblem as problem:
            lease.problem = problem
        run.last_request = redact(lease.request, lease.used_secrets)
        run.save(update_fields=["attempts", "status", "next_attempt_at", "lease_until", "last_request"])
    return lease


def step_attempt(*, run_id: int) -> StepRun | None:
    """Make one attempt of a queued step and record it. None when there was nothing to do."""
    lease = _lease(run_id)
    if lease is None:
        return None
    if lease.problem or lease.dry_run:
        result = None
    else:
        result = call_send(lease.request, timeout=lease.timeout)
    try:
        return _record(lease, result)
    except Busy:
        raise  # the case is locked for long: the lease ends and the sweep tries again
    except Exception as error:
        # The answer came but moving the case on failed (a definition that cannot route, say):
        # park the step in the exception queue rather than calling again and again.
        logger.exception("step %s of case %s: recording attempt %s failed", lease.run_id, lease.case_id, lease.number)
        return _park(lease, error)


def _park(lease: _Lease, error: Exception) -> StepRun | None:
    from apps.cases.automation import case_locked

    message = MSG_RECORD_FAILED.format(error=f"{type(error).__name__}: {error}")
    with case_locked(lease.case_id) as case:
        run = StepRun.objects.select_for_update().get(pk=lease.run_id)
        if run.status != StepStatus.RUNNING or run.attempts != lease.number:
            return run
        StepAttempt.objects.create(
            run=run,
            number=lease.number,
            revision=run.revision,
            started=lease.started,
            outcome="failed",
            category=ExceptionCategory.CONFIGURATION,
            error=message,
            request=redact(lease.request, lease.used_secrets),
        )
        _fail(case, run, ExceptionCategory.CONFIGURATION, message)
        return run


def _verdict(lease: _Lease, run: StepRun, result: CallResult | None, fields: list[dict]) -> Verdict:
    if lease.problem is not None:
        return Verdict("failed", lease.problem.category, str(lease.problem))
    if lease.dry_run:
        return Verdict("succeeded", message=MSG_DRY_RUN)
    spec = _call_spec(run, lease.stage)
    if run.kind == StepKind.UNDO:
        spec.pop("response", None)  # an undo maps nothing back
    return call_judge(result, spec=spec, system=run.system, fields=fields, timeout=lease.timeout)


def _record(lease: _Lease, result: CallResult | None) -> StepRun:
    from apps.cases.automation import case_locked, step_done

    with case_locked(lease.case_id) as case:
        run = StepRun.objects.select_for_update().get(pk=lease.run_id)
        verdict = _verdict(lease, run, result, case.version.spec["fields"])
        late = run.status != StepStatus.RUNNING or run.attempts != lease.number
        max_attempts = int((lease.stage.get("retry") or {}).get("attempts", DEFAULT_RETRY["attempts"]))
        if verdict.outcome == "retry" and run.attempts >= max_attempts:
            verdict.outcome = "failed"
            verdict.message = f"{verdict.message} Gave up after {run.attempts} attempts."
        response = response_record(result, lease.used_secrets) if result is not None else {}
        if lease.dry_run and lease.problem is None:
            response = {"dry_run": True, "note": MSG_DRY_RUN}
        StepAttempt.objects.create(
            run=run,
            number=lease.number,
            revision=run.revision,
            started=lease.started,
            duration_ms=result.duration_ms if result else 0,
            status_code=result.status_code if result else None,
            outcome="late" if late else verdict.outcome,
            category=verdict.category,
            error=verdict.message,
            request=redact(lease.request, lease.used_secrets),
            response=response,
        )
        if late:
            return run  # a lost attempt answering after its lease: another attempt owns the step
        now = timezone.now()
        run.last_response, run.last_error = response, verdict.message
        if verdict.outcome == "succeeded":
            run.status, run.category, run.next_attempt_at, run.finished = StepStatus.SUCCEEDED, "", None, now
            run.save()
            context = {
                "system": run.system,
                "attempts": run.attempts,
                "status_code": result.status_code if result else None,
                "dry_run": lease.dry_run,
                "idempotency_key": run.idempotency_key,
            }
            if run.kind == StepKind.UNDO:
                audit_record(
                    action=Action.STEP_COMPENSATED,
                    case=case,
                    step=run.step_name,
                    reason=f"{run.system} undid {run.undo_of.step_name if run.undo_of_id else run.step_key}.",
                    context=context,
                )
            else:
                reason = MSG_DRY_RUN if lease.dry_run else f"{run.system} answered {result.status_code}."
                step_done(
                    case=case,
                    run=run,
                    data=verdict.mapped,
                    audit={"action": Action.STEP_SUCCEEDED, "reason": reason, "context": context},
                )
        elif verdict.outcome == "retry":
            wait = retry_delay(
                attempts=run.attempts, retry=lease.stage.get("retry") or {}, retry_after=result.retry_after
            )
            run.status, run.category, run.next_attempt_at = StepStatus.RETRYING, verdict.category, now + wait
            run.save()
            logger.info("step %s of case %s: attempt %s, retry in %s", run.step_key, case.pk, run.attempts, wait)
        else:
            _fail(case, run, verdict.category, verdict.message)
    return run


def _fail(case, run: StepRun, category: str, message: str) -> None:
    """Retries are exhausted or pointless: the exception queue, or the end of the case."""
    from apps.cases.automation import case_close, step_exception
    from apps.cases.models import CaseState, Outcome

    now = timezone.now()
    run.status, run.category, run.failed_at, run.next_attempt_at, run.last_error = (
        StepStatus.EXCEPTION,
        category,
        now,
        None,
        message,
    )
    stage = _spec(case, run.step_key)
    if run.kind == StepKind.UNDO or not case.is_open:
        run.save()
        audit_record(
            action=Action.STEP_FAILED,
            case=case,
            step=run.step_name,
            reason=message,
            context={"system": run.system, "category": category, "attempts": run.attempts, "step_run": run.pk},
        )
        _notify_operators(case, run, message)
        return
    if stage.get("on_failure") == "fail_case":
        run.status, run.finished, run.resolution = StepStatus.CANCELLED, now, "The case failed with this step."
        run.save()
        reason = f"{run.step_name} failed ({run.get_category_display().lower()}): {message}"
        case_close(
            case=case,
            actor=None,
            state=CaseState.FAILED,
            outcome=Outcome.FAILED,
            reason=reason,
            action=Action.CASE_FAILED,
            context={"step_run": run.pk, "category": category},
        )
        return
    run.save()
    step_exception(case=case, run=run, message=message)


def _notify_operators(case, run: StepRun, message: str) -> None:
    from apps.org import roles
    from apps.org.selectors import role_members

    notification_send(
        users=[run.assigned_to] if run.assigned_to_id else role_members(role=roles.OPERATORS),
        kind="exception",
        subject=f"Request #{case.pk}: {run.step_name} failed ({run.get_category_display().lower()})",
        body=message,
        url=f"/exceptions/{run.pk}/",
        case=case,
        dedupe_key=f"exception:{run.pk}:{run.revision}:{run.attempts}",
    )


def steps_close(*, case) -> list[str]:
    """The case is closing without finishing (withdrawn, auto-closed, cancelled, failed): stop its
    open steps and undo the ones already done. Returns the names of the undo calls queued."""
    now = timezone.now()
    StepRun.objects.filter(case=case, status__in=STEP_OPEN).exclude(kind=StepKind.UNDO).update(
        status=StepStatus.CANCELLED, finished=now, next_attempt_at=None
    )
    return _compensate(case)


def _compensate(case) -> list[str]:
    """Queue the undo call of every succeeded step that has one, latest first; returns their names."""
    now = timezone.now()
    spec = {s.get("key"): s for s in case.version.spec["stages"]}
    done = StepRun.objects.filter(case=case, kind=StepKind.CALL, status=StepStatus.SUCCEEDED).order_by(
        "-finished", "-pk"
    )
    undos = []
    for run in done:
        if "undo" not in spec.get(run.step_key, {}) or run.undos.exists():
            continue
        undo = StepRun(
            case=case,
            step_key=run.step_key,
            step_name=f"Undo {run.step_name}",
            system=run.system,
            kind=StepKind.UNDO,
            undo_of=run,
            status=StepStatus.PENDING,
            idempotency_key=step_key_for(case_id=case.pk, step_key=run.step_key, revision=run.revision, undo=True),
            next_attempt_at=now + PENDING_GRACE,
            created=now,
        )
        undo.save()
        undos.append(undo)
    if undos:
        transaction.on_commit(partial(_enqueue, [u.pk for u in undos]), robust=True)
    return [u.step_name for u in undos]


def step_retry_due(*, at: datetime | None = None) -> int:
    """Queue steps due for a retry, queued steps whose message got lost and attempts whose
    worker died (their lease ended); time out waits nobody called back. Safe to run concurrently."""
    at = at or timezone.now()
    queued = outbox_lease_due(
        queryset=StepRun.objects.filter(
            kind__in=[StepKind.CALL, StepKind.UNDO],
            status__in=[StepStatus.PENDING, StepStatus.RETRYING, StepStatus.RUNNING],
        ),
        at=at,
        enqueue=_enqueue,
    )
    return queued + _time_out_waits(at)


def _time_out_waits(at: datetime) -> int:
    from apps.cases.automation import case_locked, step_exception

    expired = list(
        StepRun.objects.filter(kind=StepKind.WAIT, status=StepStatus.WAITING, next_attempt_at__lte=at).values_list(
            "pk", "case_id"
        )[:500]
    )
    for run_id, case_id in expired:
        with case_locked(case_id) as case:
            run = StepRun.objects.select_for_update().filter(pk=run_id, status=StepStatus.WAITING).first()
            if run is None:
                continue
            hours = float(_spec(case, run.step_key).get("timeout_hours", STEP_DEFAULT_WAIT_HOURS))
            message = MSG_WAIT_TIMEOUT.format(system=run.system, hours=hours)
            run.status, run.category, run.failed_at, run.next_attempt_at, run.last_error = (
                StepStatus.EXCEPTION,
                ExceptionCategory.TIMEOUT,
                timezone.now(),
                None,
                message,
            )
            run.save()
            StepAttempt.objects.create(
                run=run,
                number=run.attempts,
                revision=run.revision,
                outcome="failed",
                category=run.category,
                error=message,
            )
            step_exception(case=case, run=run, message=message)
    return len(expired)


# --- callbacks (inbound webhooks) -------------------------------------------------------------------


def step_callback(*, case_id: int, step_key: str, data: dict, actor, delivery: str = "") -> StepRun:
    """The other system called back: write what it sent into the case and finish the wait."""
    from apps.cases.automation import case_locked, step_done

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
        cleaned = clean_data(case.version.spec["fields"], data or {}, base=case.data, intake=False)
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


# --- the operators' repair loop ---------------------------------------------------------------------


REPAIRABLE = [StepStatus.EXCEPTION, StepStatus.RETRYING]


def _locked_run(case, run_id: int, actor) -> StepRun:
    run = StepRun.objects.select_for_update().filter(pk=run_id, case=case).first()
    if run is None:
        raise NotFound(MSG_NOT_FOUND)
    if not user_can_repair_steps(user=actor) and run.assigned_to_id != actor.pk:
        raise NotAllowed(MSG_NOT_OPERATOR)
    if case.requester_id == actor.pk:
        raise NotAllowed(MSG_OWN_CASE)
    if run.status not in REPAIRABLE:
        raise Conflict(MSG_NOT_REPAIRABLE.format(status=run.get_status_display().lower()))
    return run


def _case_of(run_id: int) -> int:
    case_id = StepRun.objects.filter(pk=run_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise NotFound(MSG_NOT_FOUND)
    return case_id


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(MSG_REASON_REQUIRED, field_errors={"reason": [MSG_REASON_REQUIRED]})
    return reason


def step_retry(*, run_id: int, actor, data: dict | None = None, note: str = "") -> StepRun:
    """Retry a failed step now, after correcting the case data if need be.

    Corrections that change what is sent make it a different request: the step's revision, and
    so its idempotency key, goes up. Otherwise (no changes, or only fields the request does not
    use) the key stays, and a receiver that saw the request before answers as before, so a call
    that timed out but was booked is not booked twice.
    """
    from apps.cases.automation import case_locked, step_waiting_again

    with case_locked(_case_of(run_id), actor) as case:
        run = _locked_run(case, run_id, actor)
        changes = {}
        sent_before = _request_for(case, run)
        if data:
            if not case.is_open:
                raise Conflict(MSG_CASE_CLOSED_EDIT)
            cleaned = clean_data(case.version.spec["fields"], data, base=case.data, intake=False)
            changes = {
                k: {"from": (case.data or {}).get(k), "to": v}
                for k, v in cleaned.items()
                if (case.data or {}).get(k) != v
            }
            case.data = cleaned
        if changes:
            audit_record(
                action=Action.CASE_DATA_EDITED,
                actor=actor,
                case=case,
                step=run.step_name,
                reason=(note or "").strip() or f"Corrected before retrying {run.step_name}.",
                data={k: v["to"] for k, v in changes.items()},
                context={"changes": changes, "step_run": run.pk},
            )
        if changes and _request_for(case, run) != sent_before:
            run.revision += 1
            run.idempotency_key = step_key_for(
                case_id=case.pk, step_key=run.step_key, revision=run.revision, undo=run.kind == StepKind.UNDO
            )
        previous = {"status": run.status, "category": run.category, "attempts": run.attempts}
        now = timezone.now()
        if run.kind == StepKind.WAIT:
            hours = float(_spec(case, run.step_key).get("timeout_hours", STEP_DEFAULT_WAIT_HOURS))
            run.status, run.next_attempt_at = StepStatus.WAITING, now + timedelta(hours=hours)
        else:
            run.status, run.next_attempt_at = StepStatus.PENDING, now + PENDING_GRACE
        run.attempts, run.category, run.failed_at = 0, "", None
        run.resolution = f"Retried by {actor.get_username()}" + (f": {note.strip()}" if (note or "").strip() else ".")
        run.save()
        if run.kind != StepKind.UNDO and case.is_open:
            step_waiting_again(case=case, run=run)
        elif changes:
            case.save()
        audit_record(
            action=Action.STEP_RETRIED,
            actor=actor,
            case=case,
            step=run.step_name,
            reason=(note or "").strip(),
            context={
                **previous,
                "revision": run.revision,
                "idempotency_key": run.idempotency_key,
                "changed": sorted(changes),
            },
        )
        if run.kind != StepKind.WAIT:
            _queue_after_commit(run)
        return run


def _request_for(case, run: StepRun) -> dict | None:
    """The request the step would send with the case's data as it is now (None: cannot be built)."""
    if run.kind == StepKind.WAIT:
        return None
    try:
        request, _ = request_build(
            spec=_call_spec(run, _spec(case, run.step_key)),
            data=case.data or {},
            case_id=case.pk,
            workflow=case.workflow_key,
            version=case.version_number,
            idempotency_key="",
            system=run.system,
        )
    except RequestProblem:
        return None
    return request


def step_skip(*, run_id: int, actor, reason: str) -> StepRun:
    """Go on without the step (the operator did it by hand, or it is not needed); never re-run."""
    from apps.cases.automation import case_locked, step_done

    with case_locked(_case_of(run_id), actor) as case:
        run = _locked_run(case, run_id, actor)
        reason = _reason(reason)
        context = {"system": run.system, "category": run.category, "attempts": run.attempts, "step_run": run.pk}
        run.status, run.finished, run.next_attempt_at = StepStatus.SKIPPED, timezone.now(), None
        run.resolution = f"Skipped by {actor.get_username()}: {reason}"
        run.save()
        if run.kind == StepKind.UNDO or not case.is_open:
            audit_record(
                action=Action.STEP_SKIPPED, actor=actor, case=case, step=run.step_name, reason=reason, context=context
            )
        else:
            step_done(
                case=case,
                run=run,
                data={},
                actor=actor,
                audit={"action": Action.STEP_SKIPPED, "reason": reason, "context": context},
            )
        return run


def step_assign(*, run_id: int, actor, username: str, note: str = "") -> StepRun:
    """Route the exception to a named person: they are told, and may repair it themselves."""
    from apps.cases.automation import case_locked

    person = User.objects.filter(username=(username or "").strip(), is_active=True).first()
    if person is None:
        message = MSG_ASSIGNEE_UNKNOWN.format(username=username)
        raise ValidationFailed(message, field_errors={"username": [message]})
    with case_locked(_case_of(run_id), actor) as case:
        run = _locked_run(case, run_id, actor)
        if person.pk == case.requester_id:
            raise ValidationFailed(MSG_ASSIGNEE_REQUESTER, field_errors={"username": [MSG_ASSIGNEE_REQUESTER]})
        previous = run.assigned_to.get_username() if run.assigned_to_id else "operators queue"
        run.assigned_to = person
        run.save(update_fields=["assigned_to"])
        note = (note or "").strip()
        audit_record(
            action=Action.STEP_ASSIGNED,
            actor=actor,
            case=case,
            step=run.step_name,
            reason=note,
            context={"from": previous, "to": person.get_username(), "step_run": run.pk},
        )
        notification_send(
            users=[person],
            kind="exception",
            subject=f"Request #{case.pk}: {run.step_name} needs you",
            body=note or run.last_error,
            url=f"/exceptions/{run.pk}/",
            case=case,
            dedupe_key=f"exception-assigned:{run.pk}:{person.pk}:{timezone.now().timestamp()}",
        )
        return run


def step_cancel_case(*, run_id: int, actor, reason: str) -> StepRun:
    """Give up on the case: it closes as cancelled and the steps already done are undone."""
    from apps.cases.automation import case_close, case_locked
    from apps.cases.models import CaseState, Outcome

    with case_locked(_case_of(run_id), actor) as case:
        run = _locked_run(case, run_id, actor)
        reason = _reason(reason)
        if run.kind == StepKind.UNDO:
            raise Conflict(MSG_NOT_REPAIRABLE.format(status="a compensation of a closed case"))
        run.status, run.finished, run.next_attempt_at = StepStatus.CANCELLED, timezone.now(), None
        run.resolution = f"Case cancelled by {actor.get_username()}: {reason}"
        run.save(update_fields=["status", "finished", "next_attempt_at", "resolution"])
        case_close(
            case=case,
            actor=actor,
            state=CaseState.CANCELLED,
            outcome=Outcome.CANCELLED,
            reason=reason,
            action=Action.CASE_CANCELLED,
            context={"step_run": run.pk, "category": run.category},
        )
        return run
