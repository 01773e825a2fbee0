"""One attempt of an automated HTTP step (or UI step: a script run in a browser, see
ui_steps.py), as a django-q2 worker makes it.

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

from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from apps.audit.models import Action
from apps.audit.services import audit_record

# NOTE: the engine's services are looked up when called (engine.step_done): tests stand in for them.
from apps.cases import services as engine
from apps.core.errors import Busy
from apps.definitions.accessors import Retry, Stage, spec_of
from apps.integrations.calls import (
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
from apps.integrations.ui import UiResult, UiScript, ui_judge, ui_run

from .base import LEASE_GRACE, MSG_NO_SPEC, call_of
from .models import ExceptionCategory, StepAttempt, StepKind, StepRun, StepStatus
from .outcomes import fail_for_good, undo_queue
from .ui_steps import run_stage, ui_lease_seconds, ui_prepare, ui_reason, ui_screenshots_store

logger = logging.getLogger(__name__)

MSG_LOST = "The worker stopped during this attempt (killed or restarted); no answer was recorded."
MSG_DRY_RUN = "Test case: the request was built but not sent."
MSG_LATE_SUCCESS = "{system} took it after the case was closed: its undo call is queued."
MSG_CLOSED_BEFORE_CALL = "Not called: the case was closed before this attempt."
MSG_RECORD_FAILED = "The answer arrived but the case could not move on ({error}); check the workflow, then retry."


@dataclass
class _Lease:
    run_id: int
    case_id: int
    number: int
    started: datetime
    timeout: float
    stage: Stage | None
    request: dict = field(default_factory=dict)
    used_secrets: list = field(default_factory=list)
    problem: RequestProblem | None = None
    # A test case (a draft tried out in the builder) never calls the real system: its request is
    # built and shown, and the step succeeds without an answer.
    dry_run: bool = False
    # Identifies this lease: only the attempt holding it may move the case (attempt numbers
    # start again when an operator retries, so they alone cannot tell an old worker apart).
    lease_until: datetime | None = None
    # A UI step's script, ready to run in the browser (None for HTTP steps).
    ui: UiScript | None = None


def _lease(run_id: int) -> _Lease | None:
    now = timezone.now()
    with transaction.atomic():
        run = (
            StepRun.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("case__version")
            .filter(
                pk=run_id,
                kind__in=[StepKind.CALL, StepKind.UNDO, StepKind.UI],
                status__in=[StepStatus.PENDING, StepStatus.RETRYING, StepStatus.RUNNING],
            )
            .first()
        )
        if run is None:
            return None  # done, cancelled, in the exception queue, or another worker holds it
        if run.status == StepStatus.RUNNING and run.lease_until and run.lease_until > now:
            return None  # an attempt is under way (a duplicate queue message)
        if run.kind in (StepKind.CALL, StepKind.UI) and not run.case.is_open:
            run.status, run.finished, run.next_attempt_at = StepStatus.CANCELLED, now, None
            run.resolution = MSG_CLOSED_BEFORE_CALL
            run.save(update_fields=["status", "finished", "next_attempt_at", "resolution"])
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
        # A UI step an operator retried with a later version's script runs that version's step.
        stage = run_stage(case, run)
        timeout = stage.timeout_seconds if stage is not None else float(DEFAULT_TIMEOUT_SECONDS)
        lease_seconds = ui_lease_seconds(stage) if run.kind == StepKind.UI else timeout
        run.attempts += 1
        run.status = StepStatus.RUNNING
        run.lease_until = run.next_attempt_at = now + timedelta(seconds=lease_seconds) + LEASE_GRACE
        lease = _Lease(
            run_id=run.pk,
            case_id=case.pk,
            number=run.attempts,
            started=now,
            timeout=timeout,
            stage=stage,
            dry_run=case.is_test,
            lease_until=run.lease_until,
        )
        try:
            if stage is None:
                raise RequestProblem(MSG_NO_SPEC.format(key=run.step_key), ExceptionCategory.CONFIGURATION)
            data = case.data or {}
            if run.kind == StepKind.UNDO and run.undo_of_id:
                # What the step's own answer said (the ERP's reference), not what the case says now.
                data = {**data, **run.undo_of.output}
            if run.kind == StepKind.UI:
                lease.ui = ui_prepare(case=case, run=run, stage=stage)
                lease.request, lease.used_secrets = lease.ui.record, lease.ui.used_secrets
            else:
                lease.request, lease.used_secrets = request_build(
                    call=call_of(run, stage),
                    step_key=run.step_key,
                    data=data,
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
    elif lease.ui is not None:
        result = ui_run(lease.ui)  # in the browser's own thread; seconds, not milliseconds
    else:
        result = call_send(lease.request, timeout=lease.timeout)
    try:
        return _record(lease, result)
    except (Busy, OperationalError, InterfaceError):
        # The case is locked for long, or the database went away (restart, failover, a cut
        # connection): nothing was recorded and nothing about the workflow is wrong. The lease
        # ends and the sweep tries again, with the same key (bench/chaos.py found this one filed
        # as a configuration exception, waiting for an operator).
        raise
    except Exception as error:
        # The answer came but moving the case on failed (a definition that cannot route, say):
        # park the step in the exception queue rather than calling again and again.
        logger.exception("step %s of case %s: recording attempt %s failed", lease.run_id, lease.case_id, lease.number)
        return _park(lease, error)


def _park(lease: _Lease, error: Exception) -> StepRun | None:
    message = redact(MSG_RECORD_FAILED.format(error=f"{type(error).__name__}: {error}"), lease.used_secrets)
    with engine.case_locked(lease.case_id) as case:
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
        fail_for_good(case, run, ExceptionCategory.CONFIGURATION, message)
        return run


def _verdict(lease: _Lease, run: StepRun, result: CallResult | UiResult | None, fields: tuple) -> Verdict:
    if lease.problem is not None:
        return Verdict("failed", lease.problem.category, str(lease.problem))
    if lease.dry_run:
        return Verdict("succeeded", message=MSG_DRY_RUN)
    if isinstance(result, UiResult):
        return ui_judge(result, fields=fields, system=run.system)
    return call_judge(
        result,
        retry_on=lease.stage.retry.retry_on,
        response_map={} if run.kind == StepKind.UNDO else lease.stage.response_map,  # an undo maps nothing back
        system=run.system,
        fields=fields,
        timeout=lease.timeout,
    )


def _undo_late_success(case, run: StepRun, lease: _Lease, verdict: Verdict) -> None:
    """The case was closed while this call was under way, and the call took effect after all:
    undo it, as the close would have if it had known."""
    if lease.stage is None or not lease.stage.has_undo or run.undos.exists() or case.is_open:
        return
    run.output = verdict.mapped
    run.save(update_fields=["output"])
    undo = undo_queue(case=case, run=run)
    audit_record(
        action=Action.STEP_SUCCEEDED,
        case=case,
        step=run.step_name,
        reason=MSG_LATE_SUCCESS.format(system=run.system),
        data=verdict.mapped,
        context={"step_run": run.pk, "undo": undo.pk, "idempotency_key": run.idempotency_key},
    )


def _record(lease: _Lease, result: CallResult | UiResult | None) -> StepRun:
    with engine.case_locked(lease.case_id) as case:
        run = StepRun.objects.select_for_update().get(pk=lease.run_id)
        verdict = _verdict(lease, run, result, spec_of(case.version).fields)
        # Nothing the other system sends back is stored, audited or shown with a secret in it.
        verdict.message = redact(verdict.message, lease.used_secrets)
        late = run.status != StepStatus.RUNNING or run.attempts != lease.number or run.lease_until != lease.lease_until
        retry = lease.stage.retry if lease.stage is not None else Retry.of(None)
        max_attempts = retry.attempts
        if verdict.outcome == "retry" and run.attempts >= max_attempts:
            verdict.outcome = "failed"
            verdict.message = f"{verdict.message} Gave up after {run.attempts} attempts."
        if isinstance(result, UiResult):
            # Screenshots are evidence whatever became of the attempt: case attachments.
            response = {**result.as_record(), "screenshots": ui_screenshots_store(case, run, lease.number, result)}
        else:
            response = response_record(result, lease.used_secrets) if result is not None else {}
        if lease.dry_run and lease.problem is None:
            response = {"dry_run": True, "note": MSG_DRY_RUN}
        status_code = result.status_code if result is not None else None
        StepAttempt.objects.create(
            run=run,
            number=lease.number,
            revision=run.revision,
            started=lease.started,
            duration_ms=result.duration_ms if result else 0,
            status_code=status_code,
            outcome="late" if late else verdict.outcome,
            category=verdict.category,
            error=verdict.message,
            request=redact(lease.request, lease.used_secrets),
            response=response,
        )
        if late:
            if verdict.outcome == "succeeded" and run.status == StepStatus.CANCELLED and run.kind == StepKind.CALL:
                _undo_late_success(case, run, lease, verdict)
            return run  # a lost attempt answering after its lease: another attempt owns the step
        now = timezone.now()
        run.last_response, run.last_error = response, verdict.message
        if verdict.outcome == "succeeded":
            run.status, run.category, run.next_attempt_at, run.finished = StepStatus.SUCCEEDED, "", None, now
            run.output = verdict.mapped
            run.save()
            context = {
                "system": run.system,
                "attempts": run.attempts,
                "status_code": status_code,
                "dry_run": lease.dry_run,
                "idempotency_key": run.idempotency_key,
            }
            if run.kind == StepKind.UI:
                context |= {"script_version": run.script_version or case.version_number}
                context |= {"guard_found": True} if isinstance(result, UiResult) and result.guard_found else {}
            if run.kind == StepKind.UNDO:
                audit_record(
                    action=Action.STEP_COMPENSATED,
                    case=case,
                    step=run.step_name,
                    reason=f"{run.system} undid {run.undo_of.step_name if run.undo_of_id else run.step_key}.",
                    context=context,
                )
            else:
                if lease.dry_run:
                    reason = MSG_DRY_RUN
                elif isinstance(result, UiResult):
                    reason = ui_reason(run, result)
                else:
                    reason = f"{run.system} answered {result.status_code}."
                engine.step_done(
                    case=case,
                    run=run,
                    data=verdict.mapped,
                    audit={"action": Action.STEP_SUCCEEDED, "reason": reason, "context": context},
                )
        elif verdict.outcome == "retry":
            retry_after = result.retry_after if result is not None else None
            wait = retry_delay(attempts=run.attempts, retry=retry, retry_after=retry_after)
            run.status, run.category, run.next_attempt_at = StepStatus.RETRYING, verdict.category, now + wait
            run.save()
            logger.info("step %s of case %s: attempt %s, retry in %s", run.step_key, case.pk, run.attempts, wait)
        else:
            fail_for_good(case, run, verdict.category, verdict.message)
    return run
