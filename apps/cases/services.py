"""Writes to cases and tasks: start a case, claim, release and complete tasks.

Every function takes the flow lock on the case (`case_locked`, the one lock helper), re-reads
state under it, checks the policy, acts through viewflow's activation, writes its audit rows and
emits its lifecycle events (apps.cases.events) in the same transaction. Every way a case ends early
goes through `case_close`; the End node through `flows.case_closed`, which `case_close` also ends in.
The HTML views, the DRF API, the SLA sweep and automated steps all call these, so they cannot disagree.
"""

import hashlib
import json
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from viewflow.fsm import TransitionNotAllowed
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from apps.audit.models import Action
from apps.audit.services import audit_batch, audit_record
from apps.core.actors import actor_label
from apps.core.errors import Busy, Conflict, NotAllowed, NotFound, ValidationFailed
from apps.definitions.accessors import spec_of
from apps.definitions.selectors import version_live
from apps.org.selectors import role_exists

from . import events, routing
from .acting import acting
from .change_reasons import change_note, change_words, event_words
from .flows import CaseFlow, case_closed, task_cancelled
from .locking import locked_case_take
from .models import ApprovalDecision, Case, CaseState, Comment, Outcome, cycle_hours_of
from .nodes import ROLE_PREFIX, task_role
from .policy import (
    MSG_NOT_CLAIMED_BY_YOU,
    ensure_can_act,
    ensure_can_reassign,
    ensure_can_take,
    ensure_can_write,
    ensure_task_open,
)

User = get_user_model()

MSG_TASK_NOT_FOUND = "Task {id} does not exist."
MSG_DECISION_UNKNOWN = "Unknown decision '{decision}'; use one of: {allowed}."
MSG_REASON_REQUIRED = "A reason is required to {decision}."
MSG_WRONG_STATE = "This task cannot do that in its current state."
MSG_BUSY = "Someone else is acting on this case right now; try again in a moment."
MSG_IDEMPOTENCY_MISMATCH = "This Idempotency-Key was already used with a different request."
MSG_REQUIRED_BEFORE = "Required before {stage}."
MSG_INCOMPLETE = "{fields} required before {stage}."
MSG_DATA_NOT_ALLOWED = "Data can only be changed when submitting a returned request."
MSG_REASON_CODE_UNKNOWN = "Unknown reason code '{code}'; use one of: {allowed}."
MSG_CASE_CLOSED = "This case is already closed."
MSG_ONLY_REQUESTER_WITHDRAWS = "Only the requester can withdraw this case."
MSG_COMMENT_EMPTY = "Write a comment first."
MSG_CASE_NOT_FOUND = "Case {id} does not exist."
MSG_STEP_NOT_WAITING = "This step is no longer waiting: it was finished or cancelled meanwhile."

APPROVAL_DECISIONS = [routing.APPROVE, routing.REJECT, routing.RETURN]
REWORK_DECISIONS = [routing.SUBMIT]


class IdempotencyMismatch(Conflict):
    status_code = 422


def _request_hash(workflow: str, data) -> str:
    return hashlib.sha256(json.dumps([workflow, data], sort_keys=True, default=str).encode()).hexdigest()


def case_start(
    *, workflow: str, data, actor, idempotency_key: str | None = None, require_complete: bool = False
) -> tuple[Case, bool]:
    """Start a case on the live version of `workflow`. Returns (case, created).

    With an idempotency key, repeating the same request returns the first case instead of
    starting a second one, also when both requests race.

    With `require_complete`, data the first stage needs (fields "required before" it) must be
    there: ValidationFailed names each missing field and nothing starts. Without it (systems
    that cannot be asked at a form) the case starts and goes back to the requester to complete.
    """
    request_hash = _request_hash(workflow, data)
    if idempotency_key:
        existing = _case_for_key(actor, idempotency_key, request_hash)
        if existing is not None:
            return existing, False
    version = version_live(key=workflow)
    cleaned = case_data_check(version=version, data=data, require_complete=require_complete, requester=actor)
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


class Incomplete(ValidationFailed):
    """The data is valid but lacks fields the case's next stage requires."""


def case_data_check(*, version, data, require_complete: bool = False, requester=None) -> dict:
    """The cleaned intake data of a case on `version` (ValidationFailed names each bad field;
    Incomplete, with `require_complete`, each field the first stage needs and the data lacks).
    `requester`: who asks (a person field marked not_requester may not name them)."""
    spec = spec_of(version)
    cleaned = spec.clean_request(data, requester=requester.get_username() if requester is not None else "")
    if require_complete:
        _check_complete(spec, cleaned, requester=requester)
    return cleaned


def _check_complete(spec, data: dict, *, done=(), requester=None) -> None:
    """Incomplete naming each field the case's next stage requires and `data` lacks."""
    asker = routing.requester_attributes(requester) if requester is not None else None
    stage, missing = spec.missing_next(data, done=done, requester=asker)
    if missing:
        raise Incomplete(
            MSG_INCOMPLETE.format(fields=", ".join(f.label for f in missing), stage=stage.name),
            field_errors={f.name: [MSG_REQUIRED_BEFORE.format(stage=stage.name)] for f in missing},
        )


def case_start_test(*, version, data, actor, requester=None) -> Case:
    """Try a version (a draft, usually) through the real engine; the case is marked as a test.

    It routes as if `requester` (default: the actor) had asked, but stays in a sandbox: every
    task of it is held by `actor`, who decides it as the person it would have gone to; nobody
    else gets a task, a notification, an SLA escalation or a webhook (flows.assigned_user,
    policy.assignee_problem, and the receivers of the feature apps skip sandboxed cases)."""
    asker = requester or actor
    cleaned = spec_of(version).clean_request(data, requester=asker.get_username())
    with transaction.atomic(), audit_batch(), acting(actor):
        return CaseFlow.start.run(
            version=version, data=cleaned, requester=requester or actor, is_test=True, started_by=actor
        )


def _case_for_key(actor, key: str, request_hash: str) -> Case | None:
    case = Case.objects.filter(requester=actor, idempotency_key=key).first()
    if case is not None and case.idempotency_hash != request_hash:
        raise IdempotencyMismatch(MSG_IDEMPOTENCY_MISMATCH)
    return case


@contextmanager
def case_locked(case_id: int | None = None, actor=None, *, task_id: int | None = None):
    """The one lock helper: take the case's flow lock, read the case under it, batch the audit
    rows, act as `actor` (None: the system). Yields the case; NotFound if there is none, Busy
    when the lock cannot be had, Conflict when viewflow refuses the transition.

    With `task_id` instead of `case_id`, the case of that person's task is found and locked in
    the same statement."""
    try:
        if task_id is not None:
            lock = CaseFlow.lock_impl.by_task(CaseFlow, task_id, [CaseFlow.approve, CaseFlow.rework])
        else:
            lock = _case_lock(case_id)
        with lock as case, audit_batch(), acting(actor):
            if case is None:
                if task_id is not None:  # engine-internal tasks (gateways, joins) are not anyone's work
                    raise NotFound(MSG_TASK_NOT_FOUND.format(id=task_id))
                raise NotFound(MSG_CASE_NOT_FOUND.format(id=case_id))
            case._history_user = actor
            yield case
    except FlowLockFailed:
        raise Busy(MSG_BUSY) from None
    except TransitionNotAllowed:
        raise Conflict(MSG_WRONG_STATE) from None


@contextmanager
def _case_lock(case_id: int):
    with CaseFlow.lock(case_id):
        yield locked_case_take(case_id) or Case.objects.select_related("version").filter(pk=case_id).first()


@contextmanager
def _locked_task(task_id: int, actor):
    """`case_locked` for a person's task: the task is re-read under the lock too.

    NOTE: re-read by its own statement, after the lock is held: a task read by the locking
    SELECT itself comes from that statement's snapshot (PostgreSQL re-checks only the locked
    rows after waiting), so two people completing it at once would both see it open
    (tests/cases/test_concurrency.py)."""
    with case_locked(actor=actor, task_id=task_id) as case:
        task = Task.objects.select_related("owner").get(pk=task_id)
        task.process = case  # the activation reads the case from here; saves a query
        yield task, case


def _claim(activation, task, case, actor, *, save: bool = True) -> None:
    activation.assign(actor, save=save)
    audit_record(action=Action.TASK_CLAIMED, actor=actor, case=case, task=task, step=task.data.get("label", ""))
    events.emit(events.task_assigned, case=case, task=task, actor=actor, previous=None, reason="", cause=events.CLAIM)


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
        events.emit(
            events.task_assigned, case=case, task=task, actor=actor, previous=actor, reason="", cause=events.RELEASE
        )
        return task


def _reason_from_code(case, reason_code: str | None, reason: str) -> str:
    """A reason code from the definition's list stands for its label when no text is given."""
    if not reason_code:
        return reason
    codes = {c.code: c.label for c in spec_of(case.version).reason_codes}
    if reason_code not in codes:
        message = MSG_REASON_CODE_UNKNOWN.format(code=reason_code, allowed=", ".join(codes) or "none defined")
        raise ValidationFailed(message, field_errors={"reason_code": [message]})
    return reason.strip() or codes[reason_code]


def _check_decision(kind: str, decision: str, reason: str, data, step_fields=()) -> None:
    allowed = REWORK_DECISIONS if kind == "rework" else APPROVAL_DECISIONS
    if decision not in allowed:
        raise ValidationFailed(
            MSG_DECISION_UNKNOWN.format(decision=decision, allowed=", ".join(allowed)),
            field_errors={"decision": [MSG_DECISION_UNKNOWN.format(decision=decision, allowed=", ".join(allowed))]},
        )
    if decision in {routing.REJECT, routing.RETURN} and not (reason or "").strip():
        message = MSG_REASON_REQUIRED.format(decision=decision)
        raise ValidationFailed(message, field_errors={"reason": [message]})
    if data and kind != "rework" and not step_fields:
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
        step_fields = tuple(task.data.get("fields") or ()) if kind != "rework" else ()
        _check_decision(kind, decision, reason, data, step_fields)
        entered = {}
        if step_fields:
            # What the approver fills in at this step (a GL code, the access granted): checked like
            # intake values, required to approve, audited with the decision.
            entered = spec_of(case.version).clean_step(
                data, names=step_fields, base=case.data, approving=decision == routing.APPROVE
            )
            case.data = {**(case.data or {}), **entered}
        activation = task.flow_task.activation_class(task)
        if task.owner_id is None:
            _claim(activation, task, case, actor, save=False)  # written once, as it completes
        if kind == "rework":
            # Saved by the route node that runs next, with the new routing, in one write.
            case.data = spec_of(case.version).clean_request(
                data or {}, requester=case.requester.get_username(), base=case.data, intake=False
            )
            # Resubmitting without what was asked for would only send it back again (issue 12).
            _check_complete(spec_of(case.version), case.data, done=case.steps_done or (), requester=case.requester)
        activation.start(None)
        task.data.update(
            reason_code=reason_code or "",
            decision=decision,
            reason=(reason or "").strip(),
            comment=(comment or "").strip(),
            decided_by=actor.get_username(),
        )
        decided = audit_record(
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
                **({"entered": entered} if entered else {}),
            },
        )
        change_note(case, event_words(decided))
        if entered:
            task.data["entered"] = entered
        # Emitted before the engine moves on, so receivers see it before the case closes.
        events.emit(events.task_completed, case=case, task=task, actor=actor, decision=decision)
        activation.execute()
        if entered and not getattr(case, "_routed", False):
            # NOTE: the route node saves the case when this decision settles the stage; while
            # other approvals of the stage are open, nothing else would keep the values.
            case._history_user = actor
            case.save()
        if task.flow_task == CaseFlow.approve:  # what the metrics call an approval (reporting)
            _decision_fact(case, task)
        return task


def _decision_fact(case, task) -> None:
    """The decided approval's row for the metrics (models.ApprovalDecision), once its task has
    finished: one INSERT in the decision's transaction."""
    ApprovalDecision.objects.create(
        task_id=task.pk,
        case_id=case.pk,
        workflow_key=case.workflow_key,
        version_number=case.version_number,
        is_test=case.is_test,
        stage=task.data.get("stage", ""),
        decided_at=task.finished,
        hours=cycle_hours_of(task.created, task.finished),
    )


def _cancel_open_tasks(case, *, actor, reason: str) -> None:
    """Cancel every open task of a closing case; people's tasks are audited and their holders told."""
    for task in case.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED, STATUS.REVIVED]):
        task.process = case
        task.flow_task.activation_class(task).cancel()
        if task.flow_task in (CaseFlow.approve, CaseFlow.rework):
            task_cancelled(case=case, task=task, actor=actor, reason=reason)


def case_close(
    *,
    case: Case,
    actor,
    state: str,
    outcome: str,
    reason: str,
    action: str,
    context: dict | None = None,
    tasks_reason: str = "",
    route: bool = True,
) -> Case:
    """Close an open case that will not finish at an End node: withdrawn, auto-closed, cancelled by
    an operator, failed with an automated step. Call it under `case_locked`.

    Its open tasks are cancelled (their holders told, `tasks_reason` or `reason` as why), the
    case is finished with `state` and `outcome`, and `flows.case_closed` lets the receivers act
    (automated steps queue their undo calls) and writes the one audit row, `action`.
    `route` False keeps the case's last routing as it was (a withdrawal says nothing about it).
    """
    if not case.is_open:
        raise Conflict(MSG_CASE_CLOSED)
    _cancel_open_tasks(case, actor=actor, reason=tasks_reason or reason)
    case.status, case.finished = PROCESS.CANCELED, timezone.now()
    case.state, case.outcome, case.closed_reason = state, outcome, reason
    if route:
        case.route = {**case.route, "outcome": state, "summary": reason}
    case._history_user = actor
    change_note(case, change_words(action=action, actor_name=actor_label(actor), reason=reason))
    case.save()
    case_closed(case=case, actor=actor, action=action, reason=reason, context=context)
    return case


def case_withdraw(*, case_id: int, actor, reason: str = "") -> Case:
    """The requester takes back an open case: open tasks are cancelled, the case closes."""
    with case_locked(case_id, actor) as case:
        if case.requester_id != actor.pk:
            raise NotAllowed(MSG_ONLY_REQUESTER_WITHDRAWS)
        return case_close(
            case=case,
            actor=actor,
            state=CaseState.WITHDRAWN,
            outcome=Outcome.WITHDRAWN,
            reason=reason.strip(),
            action=Action.CASE_WITHDRAWN,
            tasks_reason="The requester withdrew the case.",
            route=False,
        )


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
    *,
    task_id: int,
    to_user,
    actor=None,
    reason: str,
    context: dict | None = None,
    on_behalf_of: str = "",
    cause: str = events.REASSIGN,
) -> Task:
    """Give an open task to another person (escalation, reroute, handover). `actor` None is the system.

    Refuses (NotAllowed) anyone the segregation-of-duties rule refuses, checked under the case's
    lock: callers pick a candidate, this decides. The new holder and the one who lost it are told
    (receivers of `events.task_assigned`), whatever `cause` moved it.
    """
    with _locked_task(task_id, actor) as (task, case):
        ensure_task_open(task)
        return _give(
            task,
            case,
            to_user=to_user,
            actor=actor,
            reason=reason,
            context=context,
            on_behalf_of=on_behalf_of,
            cause=cause,
        )


def _give(task, case, *, to_user, actor, reason: str, context=None, on_behalf_of: str = "", cause: str) -> Task:
    """Give the open `task` to `to_user` (under the case's lock): the one rule decides, the
    receivers tell who gained and who lost it, the audit row says why."""
    ensure_can_take(user=to_user, case=case, task=task)
    previous_owner = task.owner if task.owner_id else None
    previous = _note_previous_holder(task)
    activation = task.flow_task.activation_class(task)
    if task.owner_id is None:
        activation.assign(to_user)
    else:
        activation.reassign(user=to_user)
    if on_behalf_of:
        task.data["on_behalf_of"] = on_behalf_of
    task.save(update_fields=["data"])
    events.emit(
        events.task_assigned, case=case, task=task, actor=actor, previous=previous_owner, reason=reason, cause=cause
    )
    audit_record(
        action=Action.TASK_REASSIGNED,
        actor=actor,
        case=case,
        task=task,
        step=task.data.get("label", ""),
        reason=reason,
        context={
            "from": previous,
            "to": to_user.username,
            **({"on_behalf_of": on_behalf_of} if on_behalf_of else {}),  # a handover to a delegate
            **(context or {}),
        },
    )
    return task


def task_requeue(*, task_id: int, role: str, reason: str, actor=None) -> Task:
    """Take an open task from its holder and put it in `role`'s queue (nobody may take it from
    the holder, e.g. a deactivated approver whose successors all act in the stage already).
    Whoever claims it from the queue passes the segregation-of-duties rule then."""
    with _locked_task(task_id, actor) as (task, case):
        ensure_task_open(task)
        return _requeue(task, case, role=role, actor=actor, reason=reason)


def _requeue(task, case, *, role: str, actor, reason: str, context=None) -> Task:
    """Put the open `task` in `role`'s queue (under the case's lock); its holder is told."""
    holder = task.owner if task.owner_id else None
    previous = _note_previous_holder(task)
    if task.owner_id:
        task.flow_task.activation_class(task).unassign()
    task.owner_permission = f"{ROLE_PREFIX}{role}"
    task.save(update_fields=["owner_permission", "data"])
    events.emit(
        events.task_assigned, case=case, task=task, actor=actor, previous=holder, reason=reason, cause=events.REQUEUE
    )
    audit_record(
        action=Action.TASK_RELEASED,
        actor=actor,
        case=case,
        task=task,
        step=task.data.get("label", ""),
        reason=reason,
        context={"from": previous, "to": f"{role} queue", **(context or {})},
    )
    return task


MSG_REASSIGN_REASON = "Say why the task moves: the new holder and the audit trail read it."
MSG_REASSIGN_TO_EMPTY = "Name a person (their username) or a role's queue (role:<key>)."
MSG_REASSIGN_NO_USER = "There is no active user '{username}'."
MSG_REASSIGN_NO_ROLE = "There is no role '{role}'."
MSG_REASSIGN_SAME = "{target} already holds this task."


def task_reassign_by(*, task_id: int, actor, to: str, reason: str) -> Task:
    """A person moves an open task by hand: to a named person, or to a role's queue
    (`to` = "role:<key>"). Allowed to the holder's manager, operators, administrators and the
    workflow's owners (`policy.task_can_reassign`); the segregation-of-duties rule decides who
    may take it; the new holder and the one who lost it are told; audited with the reason."""
    reason, to = (reason or "").strip(), (to or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = [MSG_REASSIGN_REASON]
    role, to_user = None, None
    if not to:
        errors["to"] = [MSG_REASSIGN_TO_EMPTY]
    elif to.startswith(ROLE_PREFIX):
        role = to[len(ROLE_PREFIX) :].strip()
        if not role_exists(name=role):
            errors["to"] = [MSG_REASSIGN_NO_ROLE.format(role=role)]
    else:
        to_user = User.objects.filter(username=to, is_active=True).first()
        if to_user is None:
            errors["to"] = [MSG_REASSIGN_NO_USER.format(username=to)]
    if errors:
        raise ValidationFailed(" ".join(m for messages in errors.values() for m in messages), field_errors=errors)
    with _locked_task(task_id, actor) as (task, case):
        ensure_task_open(task)
        ensure_can_reassign(user=actor, task=task, case=case)
        context = {"by_hand": True}
        if role is not None:
            if task.owner_id is None and task_role(task) == role:
                message = MSG_REASSIGN_SAME.format(target=f"The {role} queue")
                raise ValidationFailed(message, field_errors={"to": [message]})
            return _requeue(task, case, role=role, actor=actor, reason=reason, context=context)
        if task.owner_id == to_user.pk:
            message = MSG_REASSIGN_SAME.format(target=to_user.username)
            raise ValidationFailed(message, field_errors={"to": [message]})
        return _give(task, case, to_user=to_user, actor=actor, reason=reason, context=context, cause=events.REASSIGN)


def case_auto_close(*, case_id: int, reason: str, evidence: dict) -> Case:
    """Close a case nobody acted on (the system's counterpart of a withdrawal), with the evidence."""
    with case_locked(case_id) as case:
        return case_close(
            case=case,
            actor=None,
            state=CaseState.WITHDRAWN,
            outcome=Outcome.AUTO_CLOSED,
            reason=reason,
            action=Action.CASE_AUTO_CLOSED,
            context=evidence,
            route=False,
        )


# --- automated steps: the engine side -----------------------------------------------------------
# The step machinery (runs, attempts, repair) lives in a feature app that calls these under
# `case_locked`, in the transaction that also records the step's attempt.


def _waiting_task(case: Case, task_id: int) -> Task:
    task = Task.objects.filter(pk=task_id, process_id=case.pk).first()
    if task is None or task.status != STATUS.NEW:
        raise Conflict(MSG_STEP_NOT_WAITING)
    task.process = case
    return task


def step_done(*, case: Case, run, data: dict, actor=None, audit: dict) -> None:
    """The step succeeded, or an operator skipped it: write what it brought back, never run it
    again for this case, and move the case on (the route node saves it)."""
    task = _waiting_task(case, run.task_id)
    if data:
        case.data = {**(case.data or {}), **data}
    case.steps_done = [*(case.steps_done or []), run.step_key]
    change_note(
        case, event_words(audit_record(actor=actor, case=case, task=task, step=run.step_name, data=data, **audit))
    )
    activation = task.flow_task.activation_class(task)
    activation.run(None)
    task.data.update(outcome=run.status)
    activation.execute()


def case_mark_exception(*, case: Case, saved_next: bool) -> None:
    """An automated step of the case failed for good (the metrics' exception rate counts the case).
    `saved_next`: the change that follows saves the case (the exception queue, or the case
    failing with the step), so the mark goes with that save; otherwise (an undo call of a closed
    case) one UPDATE of that column alone, which writes no history row of its own."""
    if case.had_exception:
        return
    case.had_exception = True
    if not saved_next:
        Case.objects.filter(pk=case.pk).update(had_exception=True)


def step_exception(*, case: Case, run, message: str) -> None:
    """The step failed for good: the case waits in the exception queue for an operator.

    The failure itself (audit row, operators told) is recorded by the step's own outcome code."""
    case.state = CaseState.EXCEPTION
    case.route = {
        **case.route,
        "outcome": CaseState.EXCEPTION,
        "summary": f"Exception at {run.step_name} ({run.get_category_display().lower()}): {message}",
    }
    change_note(case, case.route["summary"])
    case.save()
    events.emit(
        events.case_exception, case=case, step=run.step_key, system=run.system, category=run.category, message=message
    )


def step_waiting_again(*, case: Case, run) -> None:
    """An operator retries the step: the case shows "waiting on <system>" again."""
    case.state = CaseState.WAITING
    case.route = {
        **case.route,
        "outcome": CaseState.WAITING,
        "summary": f"Waiting on {run.system}: {run.step_name} (retried by an operator).",
    }
    change_note(case, case.route["summary"], keep=True)  # an operator's correction says more
    case.save()
