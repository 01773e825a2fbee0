"""The operators' repair loop: edit the data and retry, skip with a reason, route to a named
person, or cancel the case (the steps already done are undone). Every action is audited."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.audit.models import Action
from apps.audit.services import audit_record
from apps.cases.change_reasons import change_note, event_words
from apps.cases.models import CaseState, Outcome
from apps.cases.policy import REPAIR, assignee_problem
from apps.cases.services import case_close, case_locked, step_done, step_waiting_again
from apps.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from apps.definitions.accessors import spec_of
from apps.integrations.calls import RequestProblem, request_build
from apps.notify.services import notification_send

from .base import PENDING_GRACE, call_of, queue_after_commit, step_key_for
from .models import StepKind, StepRun, StepStatus
from .outcomes import uncertain_calls, undo_queue, wait_hours
from .policy import user_can_repair_steps
from .ui_steps import run_stage, ui_prepare, ui_repair_version

User = get_user_model()

MSG_NOT_REPAIRABLE = "This step is {status}: only a step in the exception queue (or retrying) can be repaired."
MSG_NOT_OPERATOR = "Only operators, integrators, administrators and the person it is routed to can repair steps."
MSG_OWN_CASE = "You requested this case: someone else must repair its steps (segregation of duties)."
MSG_REASON_REQUIRED = "Give a reason."
MSG_ASSIGNEE_UNKNOWN = "No active user '{username}'."
MSG_ASSIGNEE_REQUESTER = "The requester cannot repair their own case; choose someone else."
MSG_NOT_FOUND = "No such step."
MSG_CASE_CLOSED_EDIT = "The case is closed: its data can no longer be changed."
MSG_RETRIED_WITH = "with version {version}'s script"
MSG_NOT_UI = "Only a UI step can be retried with another version's script."
MSG_NO_NEWER_SCRIPT = (
    "Version {version} is not the latest published version with a UI step like {step}: "
    "retry with the latest one, or publish the fix first."
)
MSG_UNCERTAIN = (
    "{steps} timed out: the other system may have done it anyway. Before the case closes, choose: "
    "send the undo call, or confirm it did not take effect."
)
MSG_UNCERTAIN_NO_UNDO = (
    "{steps} timed out: the other system may have done it anyway, and the step has no undo call. "
    "Check it there, then confirm it did not take effect (or undo it by hand)."
)
UNCERTAIN_UNDO, UNCERTAIN_NONE = "undo", "none"
MSG_RESOLVED = "Case cancelled by {actor}, who resolved this timed-out call: {choice}."

REPAIRABLE = [StepStatus.EXCEPTION, StepStatus.RETRYING]


def run_repairable(run: StepRun) -> bool:
    """In the exception queue or retrying; or a wait step still waiting, which a person may
    complete by hand ("the customer sent it by e-mail": skip), route, or give up (cancel)."""
    return run.status in REPAIRABLE or (run.kind == StepKind.WAIT and run.status == StepStatus.WAITING)


def _locked_run(case, run_id: int, actor) -> StepRun:
    run = StepRun.objects.select_for_update().filter(pk=run_id, case=case).first()
    if run is None:
        raise NotFound(MSG_NOT_FOUND)
    if not user_can_repair_steps(user=actor) and run.assigned_to_id != actor.pk:
        raise NotAllowed(MSG_NOT_OPERATOR)
    if case.requester_id == actor.pk:
        raise NotAllowed(MSG_OWN_CASE)
    if not run_repairable(run):
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
    with case_locked(_case_of(run_id), actor) as case:
        return _retry(case, _locked_run(case, run_id, actor), actor=actor, data=data, note=note)


def step_retry_version(*, run_id: int, actor, version: int, note: str = "") -> StepRun:
    """Retry a UI step with the script of a later published version: the repair after a page
    changed (the owner fixed the selector in version `version`). Only the latest published
    version, and only when it has a UI step with the same key; the run keeps that version's
    number (its attempts record it) and the audit row says which script replaced which."""
    with case_locked(_case_of(run_id), actor) as case:
        run = _locked_run(case, run_id, actor)
        if run.kind != StepKind.UI:
            raise Conflict(MSG_NOT_UI)
        latest = ui_repair_version(case=case, run=run)
        if latest is None or latest != version:
            raise Conflict(MSG_NO_NEWER_SCRIPT.format(version=version, step=run.step_name))
        before = run.script_version or case.version_number
        run.script_version = version
        note = (note or "").strip() or MSG_RETRIED_WITH.format(version=version)
        return _retry(
            case, run, actor=actor, data=None, note=note, context={"script_version": {"from": before, "to": version}}
        )


def _retry(case, run: StepRun, *, actor, data: dict | None, note: str, context: dict | None = None) -> StepRun:
    """step_retry's work, under the case lock the caller holds."""
    changes = {}
    sent_before = _request_for(case, run)
    if data:
        if not case.is_open:
            raise Conflict(MSG_CASE_CLOSED_EDIT)
        cleaned = spec_of(case.version).clean(data, base=case.data, intake=False)
        changes = {
            k: {"from": (case.data or {}).get(k), "to": v} for k, v in cleaned.items() if (case.data or {}).get(k) != v
        }
        case.data = cleaned
    if changes:
        edited = audit_record(
            action=Action.CASE_DATA_EDITED,
            actor=actor,
            case=case,
            step=run.step_name,
            reason=(note or "").strip() or f"Corrected before retrying {run.step_name}.",
            data={k: v["to"] for k, v in changes.items()},
            context={"changes": changes, "step_run": run.pk},
        )
        change_note(case, event_words(edited))  # why the case row's data changed
    if changes and _request_for(case, run) != sent_before:
        run.revision += 1
        run.idempotency_key = step_key_for(
            case_id=case.pk, step_key=run.step_key, revision=run.revision, undo=run.kind == StepKind.UNDO
        )
    previous = {"status": run.status, "category": run.category, "attempts": run.attempts}
    now = timezone.now()
    if run.kind == StepKind.WAIT:
        hours = wait_hours(case, run.step_key)
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
            **(context or {}),
        },
    )
    if run.kind != StepKind.WAIT:
        queue_after_commit([run.pk], ui=run.kind == StepKind.UI)
    return run


def _request_for(case, run: StepRun) -> dict | None:
    """The request the step would send with the case's data as it is now (None: cannot be built)."""
    stage = run_stage(case, run)
    if run.kind == StepKind.WAIT or stage is None:
        return None
    if run.kind == StepKind.UI:
        try:
            return ui_prepare(case=case, run=run, stage=stage).record
        except RequestProblem:
            return None
    try:
        request, _ = request_build(
            call=call_of(run, stage),
            step_key=run.step_key,
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
    person = User.objects.filter(username=(username or "").strip()).first()
    if person is None or not person.is_active:
        message = MSG_ASSIGNEE_UNKNOWN.format(username=username)
        raise ValidationFailed(message, field_errors={"username": [message]})
    with case_locked(_case_of(run_id), actor) as case:
        run = _locked_run(case, run_id, actor)
        # The engine's segregation-of-duties rule: a repair is no approval, but never the requester's.
        if assignee_problem(user=person, case=case, kind=REPAIR) is not None:
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


def step_cancel_case(*, run_id: int, actor, reason: str, uncertain: str = "") -> StepRun:
    """Give up on the case: it closes as cancelled and the steps already done are undone.

    A call that timed out may have taken effect: the operator resolves it first (`uncertain`:
    "undo" sends its undo call as if it had succeeded, "none" confirms it did not take effect),
    and the choice is audited with the cancellation."""
    with case_locked(_case_of(run_id), actor) as case:
        run = _locked_run(case, run_id, actor)
        errors = {}
        try:
            reason = _reason(reason)
        except ValidationFailed as invalid:
            errors.update(invalid.field_errors)
        if run.kind == StepKind.UNDO:
            raise Conflict(MSG_NOT_REPAIRABLE.format(status="a compensation of a closed case"))
        uncertain_runs = uncertain_calls(case=case)
        undoable = [r for r in uncertain_runs if _has_undo(case, r)]
        if uncertain_runs and uncertain not in (UNCERTAIN_UNDO, UNCERTAIN_NONE):
            names = ", ".join(f"{r.step_name} ({r.system})" for r in uncertain_runs)
            message = (MSG_UNCERTAIN if undoable else MSG_UNCERTAIN_NO_UNDO).format(steps=names)
            errors["uncertain"] = [message]
        if errors:
            raise ValidationFailed(" ".join(m for ms in errors.values() for m in ms), field_errors=errors)
        now = timezone.now()
        undone = []
        if uncertain == UNCERTAIN_UNDO:
            for uncertain_run in undoable:
                undo_queue(case=case, run=uncertain_run, at=now)
                undone.append(f"Undo {uncertain_run.step_name}")
        for resolved in uncertain_runs:  # settled here: the close does not ask again
            if resolved.pk != run.pk:
                resolved.status, resolved.finished, resolved.next_attempt_at = StepStatus.CANCELLED, now, None
                resolved.resolution = MSG_RESOLVED.format(actor=actor.get_username(), choice=uncertain)
                resolved.save(update_fields=["status", "finished", "next_attempt_at", "resolution"])
        run.status, run.finished, run.next_attempt_at = StepStatus.CANCELLED, now, None
        run.resolution = f"Case cancelled by {actor.get_username()}: {reason}"
        run.save(update_fields=["status", "finished", "next_attempt_at", "resolution"])
        context = {"step_run": run.pk, "category": run.category}
        if uncertain_runs:
            context["uncertain"] = {
                "steps": [r.step_name for r in uncertain_runs],
                "choice": uncertain,
                "undo_sent": undone,
            }
        case_close(
            case=case,
            actor=actor,
            state=CaseState.CANCELLED,
            outcome=Outcome.CANCELLED,
            reason=reason,
            action=Action.CASE_CANCELLED,
            context=context,
        )
        return run


def _has_undo(case, run) -> bool:
    stage = spec_of(case.version).stage(run.step_key)
    return stage is not None and stage.has_undo
