"""Writes to cases and tasks: start a case, claim, release and complete tasks.

Every function takes the flow lock on the case, re-reads state under it, checks the policy,
acts through viewflow's activation, and writes its audit rows in the same transaction.
The HTML views and the DRF API both call these, so they cannot disagree.
"""

import hashlib
import json
from contextlib import contextmanager

from django.db import IntegrityError, transaction
from django.utils import timezone
from viewflow.fsm import TransitionNotAllowed
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from apps.audit.models import Action
from apps.audit.services import audit_batch, audit_record
from apps.core.errors import Busy, Conflict, NotAllowed, NotFound, ValidationFailed
from apps.definitions.fields import clean_data
from apps.definitions.selectors import version_live
from apps.integrations.services import event_publish
from apps.integrations.steps import steps_close

from . import routing
from .acting import acting
from .flows import CaseFlow
from .models import Case, CaseState, Comment, Outcome
from .nodes import ROLE_PREFIX, task_role
from .policy import MSG_NOT_CLAIMED_BY_YOU, ensure_can_act, ensure_can_take, ensure_can_write, ensure_task_open

MSG_TASK_NOT_FOUND = "Task {id} does not exist."
MSG_DECISION_UNKNOWN = "Unknown decision '{decision}'; use one of: {allowed}."
MSG_REASON_REQUIRED = "A reason is required to {decision}."
MSG_WRONG_STATE = "This task cannot do that in its current state."
MSG_BUSY = "Someone else is acting on this case right now; try again in a moment."
MSG_IDEMPOTENCY_MISMATCH = "This Idempotency-Key was already used with a different request."
MSG_DATA_NOT_ALLOWED = "Data can only be changed when submitting a returned request."
MSG_REASON_CODE_UNKNOWN = "Unknown reason code '{code}'; use one of: {allowed}."
MSG_CASE_CLOSED = "This case is already closed."
MSG_ONLY_REQUESTER_WITHDRAWS = "Only the requester can withdraw this case."
MSG_COMMENT_EMPTY = "Write a comment first."

APPROVAL_DECISIONS = [routing.APPROVE, routing.REJECT, routing.RETURN]
REWORK_DECISIONS = [routing.SUBMIT]


class IdempotencyMismatch(Conflict):
    status_code = 422


def _request_hash(workflow: str, data) -> str:
    return hashlib.sha256(json.dumps([workflow, data], sort_keys=True, default=str).encode()).hexdigest()


def case_start(*, workflow: str, data, actor, idempotency_key: str | None = None) -> tuple[Case, bool]:
    """Start a case on the live version of `workflow`. Returns (case, created).

    With an idempotency key, repeating the same request returns the first case instead of
    starting a second one, also when both requests race.
    """
    request_hash = _request_hash(workflow, data)
    if idempotency_key:
        existing = _case_for_key(actor, idempotency_key, request_hash)
        if existing is not None:
            return existing, False
    version = version_live(key=workflow)
    cleaned = clean_data(version.spec["fields"], data)
    try:
        with transaction.atomic(), audit_batch(), acting(actor):
            case = CaseFlow.start.run(
                version=version,
                data=cleaned,
                requester=actor,
                idempotency_key=idempotency_key or None,
                idempotency_hash=request_hash if idempotency_key else "",
            )
    except IntegrityError:
        existing = _case_for_key(actor, idempotency_key, request_hash) if idempotency_key else None
        if existing is None:
            raise
        return existing, False
    return case, True


def case_start_test(*, version, data, actor) -> Case:
    """Try a version (a draft, usually) through the real engine; the case is marked as a test."""
    cleaned = clean_data(version.spec["fields"], data)
    with transaction.atomic(), audit_batch(), acting(actor):
        return CaseFlow.start.run(version=version, data=cleaned, requester=actor, is_test=True)


def _case_for_key(actor, key: str, request_hash: str) -> Case | None:
    case = Case.objects.filter(requester=actor, idempotency_key=key).first()
    if case is not None and case.idempotency_hash != request_hash:
        raise IdempotencyMismatch(MSG_IDEMPOTENCY_MISMATCH)
    return case


@contextmanager
def _locked_task(task_id: int, actor):
    """Lock the task's case, re-read the task and case under the lock, batch the audit rows."""
    process_id = (
        Task.objects.filter(pk=task_id, flow_task__in=[CaseFlow.approve, CaseFlow.rework])
        .values_list("process_id", flat=True)
        .first()
    )
    if process_id is None:  # engine-internal tasks (gateways, joins) are not anyone's work
        raise NotFound(MSG_TASK_NOT_FOUND.format(id=task_id))
    try:
        with CaseFlow.lock(process_id), audit_batch(), acting(actor):
            case = Case.objects.select_related("version").get(pk=process_id)
            task = Task.objects.select_related("owner").get(pk=task_id)
            task.process = case  # the activation reads the case from here; saves a query
            case._history_user = actor
            yield task, case
    except FlowLockFailed:
        raise Busy(MSG_BUSY) from None
    except TransitionNotAllowed:
        raise Conflict(MSG_WRONG_STATE) from None


def _claim(activation, task, case, actor) -> None:
    activation.assign(actor)
    audit_record(action=Action.TASK_CLAIMED, actor=actor, case=case, task=task, step=task.data.get("label", ""))


def task_claim(*, task_id: int, actor) -> Task:
    """Take an unassigned role task into one's own hands."""
    with _locked_task(task_id, actor) as (task, case):
        ensure_can_act(user=actor, task=task, case=case, claiming=True)
        if task.owner_id == actor.pk:
            return task  # already yours: claiming again changes nothing
        _claim(task.flow_task.activation_class(task), task, case, actor)
        return task


def task_release(*, task_id: int, actor) -> Task:
    """Give a claimed role task back to its queue."""
    with _locked_task(task_id, actor) as (task, case):
        ensure_task_open(task)
        if task.owner_id != actor.pk or task_role(task) is None:
            raise NotAllowed(MSG_NOT_CLAIMED_BY_YOU)
        task.flow_task.activation_class(task).unassign()
        audit_record(action=Action.TASK_RELEASED, actor=actor, case=case, task=task, step=task.data.get("label", ""))
        return task


def _reason_from_code(case, reason_code: str | None, reason: str) -> str:
    """A reason code from the definition's list stands for its label when no text is given."""
    if not reason_code:
        return reason
    codes = {c["code"]: c["label"] for c in case.version.spec.get("reason_codes", [])}
    if reason_code not in codes:
        message = MSG_REASON_CODE_UNKNOWN.format(code=reason_code, allowed=", ".join(codes) or "none defined")
        raise ValidationFailed(message, field_errors={"reason_code": [message]})
    return reason.strip() or codes[reason_code]


def _check_decision(kind: str, decision: str, reason: str, data) -> None:
    allowed = REWORK_DECISIONS if kind == "rework" else APPROVAL_DECISIONS
    if decision not in allowed:
        raise ValidationFailed(
            MSG_DECISION_UNKNOWN.format(decision=decision, allowed=", ".join(allowed)),
            field_errors={"decision": [MSG_DECISION_UNKNOWN.format(decision=decision, allowed=", ".join(allowed))]},
        )
    if decision in {routing.REJECT, routing.RETURN} and not (reason or "").strip():
        message = MSG_REASON_REQUIRED.format(decision=decision)
        raise ValidationFailed(message, field_errors={"reason": [message]})
    if data and kind != "rework":
        raise ValidationFailed(MSG_DATA_NOT_ALLOWED, field_errors={"data": [MSG_DATA_NOT_ALLOWED]})


def task_complete(
    *,
    task_id: int,
    actor,
    decision: str,
    reason: str = "",
    comment: str = "",
    data: dict | None = None,
    reason_code: str | None = None,
) -> Task:
    """Record a decision on a task and move the case on.

    An unclaimed role task is claimed first. Concurrent completions of one case are serialised
    by the flow lock; the second finds its task closed (409) instead of advancing the case twice.
    """
    with _locked_task(task_id, actor) as (task, case):
        kind = task.data.get("kind", "approval")
        ensure_can_act(user=actor, task=task, case=case)
        reason = _reason_from_code(case, reason_code, reason or "")
        _check_decision(kind, decision, reason, data)
        activation = task.flow_task.activation_class(task)
        if task.owner_id is None:
            _claim(activation, task, case, actor)
        if kind == "rework":
            # Saved by the route node that runs next, with the new routing, in one write.
            case.data = clean_data(case.version.spec["fields"], data or {}, base=case.data, intake=False)
        activation.start(None)
        task.data.update(
            reason_code=reason_code or "",
            decision=decision,
            reason=(reason or "").strip(),
            comment=(comment or "").strip(),
            decided_by=actor.get_username(),
        )
        audit_record(
            action=Action.CASE_RESUBMITTED if kind == "rework" else Action.TASK_DECIDED,
            actor=actor,
            case=case,
            task=task,
            step=task.data.get("label", ""),
            reason=task.data["reason"],
            comment=task.data["comment"],
            data=case.data,
            context={
                "decision": decision,
                "stage": task.data.get("stage", ""),
                "round": task.data.get("round"),
                "on_behalf_of": task.data.get("on_behalf_of", ""),
                "reason_code": reason_code or "",
            },
        )
        # Published before the engine moves on, so receivers see it before "case.closed".
        event_publish(name="task.completed", case=case, task=task, data={"decision": decision})
        activation.execute()
        return task


def _cancel_open_tasks(case, *, actor, reason: str) -> None:
    """Cancel every open task of a closing case; people's tasks are audited one by one."""
    for task in case.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED, STATUS.REVIVED]):
        task.process = case
        task.flow_task.activation_class(task).cancel()
        if task.flow_task in (CaseFlow.approve, CaseFlow.rework):
            audit_record(
                action=Action.TASK_CANCELLED,
                actor=actor,
                case=case,
                task=task,
                step=task.data.get("label", ""),
                reason=reason,
            )


def case_withdraw(*, case_id: int, actor, reason: str = "") -> Case:
    """The requester takes back an open case: open tasks are cancelled, the case closes."""
    try:
        with CaseFlow.lock(case_id), audit_batch(), acting(actor):
            case = Case.objects.select_related("version").filter(pk=case_id).first()
            if case is None:
                raise NotFound(f"Case {case_id} does not exist.")
            if case.requester_id != actor.pk:
                raise NotAllowed(MSG_ONLY_REQUESTER_WITHDRAWS)
            if not case.is_open:
                raise Conflict(MSG_CASE_CLOSED)
            _cancel_open_tasks(case, actor=actor, reason="The requester withdrew the case.")
            case.status, case.finished = PROCESS.CANCELED, timezone.now()
            case.state, case.outcome, case.closed_reason = CaseState.WITHDRAWN, Outcome.WITHDRAWN, reason.strip()
            case._history_user = actor
            case.save()
            undone = steps_close(case=case)
            audit_record(
                action=Action.CASE_WITHDRAWN,
                actor=actor,
                case=case,
                reason=reason.strip(),
                data=case.data,
                context={"compensation": undone} if undone else None,
            )
            event_publish(name="case.closed", case=case, data=case.data)
            return case
    except FlowLockFailed:
        raise Busy(MSG_BUSY) from None


@transaction.atomic
def case_comment_add(*, case: Case, actor, body: str) -> Comment:
    """Add a comment; only the people working on the case may (policy.case_can_write)."""
    ensure_can_write(user=actor, case=case)
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(MSG_COMMENT_EMPTY, field_errors={"body": [MSG_COMMENT_EMPTY]})
    comment = Comment(case=case, author=actor, body=body)
    comment.full_clean()
    comment.save()
    audit_record(action=Action.COMMENT_ADDED, actor=actor, case=case, comment=body)
    return comment


def _note_previous_holder(task) -> str:
    """Who holds `task` before it moves (for the audit row); a holder is also kept in
    `previous_owners`, so a reroute looks for someone new."""
    if not task.owner_id:
        return f"{task_role(task)} queue"
    previous = task.owner.get_username()
    task.data["previous_owners"] = [*task.data.get("previous_owners", []), previous]
    return previous


def task_reassign(
    *, task_id: int, to_user, actor=None, reason: str, context: dict | None = None, on_behalf_of: str = ""
) -> Task:
    """Give an open task to another person (escalation, reroute, handover). `actor` None is the system.

    Refuses (NotAllowed) anyone the segregation-of-duties rule refuses, checked under the case's
    lock: callers pick a candidate, this decides.
    """
    with _locked_task(task_id, actor) as (task, case):
        ensure_task_open(task)
        ensure_can_take(user=to_user, case=case, task=task)
        previous = _note_previous_holder(task)
        activation = task.flow_task.activation_class(task)
        if task.owner_id is None:
            activation.assign(to_user)
        else:
            activation.reassign(user=to_user)
        if on_behalf_of:
            task.data["on_behalf_of"] = on_behalf_of
        task.save(update_fields=["data"])
        audit_record(
            action=Action.TASK_REASSIGNED,
            actor=actor,
            case=case,
            task=task,
            step=task.data.get("label", ""),
            reason=reason,
            context={"from": previous, "to": to_user.username, **(context or {})},
        )
        return task


def task_requeue(*, task_id: int, role: str, reason: str, actor=None) -> Task:
    """Take an open task from its holder and put it in `role`'s queue (nobody may take it from
    the holder, e.g. a deactivated approver whose successors all act in the stage already).
    Whoever claims it from the queue passes the segregation-of-duties rule then."""
    with _locked_task(task_id, actor) as (task, case):
        ensure_task_open(task)
        previous = _note_previous_holder(task)
        if task.owner_id:
            task.flow_task.activation_class(task).unassign()
        task.owner_permission = f"{ROLE_PREFIX}{role}"
        task.save(update_fields=["owner_permission", "data"])
        audit_record(
            action=Action.TASK_RELEASED,
            actor=actor,
            case=case,
            task=task,
            step=task.data.get("label", ""),
            reason=reason,
            context={"from": previous, "to": f"{role} queue"},
        )
        return task


def case_auto_close(*, case_id: int, reason: str, evidence: dict) -> Case:
    """Close a case nobody acted on (the system's counterpart of a withdrawal), with the evidence."""
    try:
        with CaseFlow.lock(case_id), audit_batch(), acting(None):
            case = Case.objects.select_related("version").get(pk=case_id)
            if not case.is_open:
                raise Conflict(MSG_CASE_CLOSED)
            _cancel_open_tasks(case, actor=None, reason=reason)
            case.status, case.finished = PROCESS.CANCELED, timezone.now()
            case.state, case.outcome, case.closed_reason = CaseState.WITHDRAWN, Outcome.AUTO_CLOSED, reason
            case._history_user = None
            case.save()
            undone = steps_close(case=case)
            context = {**evidence, "compensation": undone} if undone else evidence
            audit_record(action=Action.CASE_AUTO_CLOSED, case=case, reason=reason, data=case.data, context=context)
            event_publish(name="case.closed", case=case, data=case.data)
            return case
    except FlowLockFailed:
        raise Busy(MSG_BUSY) from None
