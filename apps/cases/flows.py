"""The one generic flow that runs every definition-driven case.

    start -> route -> approval_split -> approve (one per approver) -> approval_join -> route
                   -> rework (return to requester)                                  -> route
                   -> step (automated: an HTTP call or a wait for a callback)       -> route
                   -> approved | rejected

`route` runs `routing.case_route*` over the case's pinned spec; the spec decides, the flow only
dispatches. Callbacks write the audit rows in the same transaction as the change and emit the
lifecycle events (apps.cases.events) that SLA clocks, notifications, webhooks and automated steps
subscribe to; the flow itself knows none of them.
"""

from django.contrib.auth import get_user_model
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.status import STATUS

from apps.audit.models import Action
from apps.audit.services import audit_record
from apps.definitions.accessors import spec_of

from . import events, routing
from .acting import current_actor
from .change_reasons import change_note, event_words
from .locking import CaseLock
from .models import Case, CaseState
from .nodes import ROLE_PREFIX, ApprovalJoin, ApprovalSplit, AutomatedStep, HumanTask, Route, StartCase

User = get_user_model()


def _state_is(state):
    return lambda activation: activation.process.state == state


def approval_queue(activation):
    role = activation.task.data.get("role")
    return f"{ROLE_PREFIX}{role}" if role else None


def round_tasks(case: Case) -> list:
    """Decided approval tasks of the case's current stage round.

    Kept on the in-memory case for the rest of the transaction: the join and the route node
    that follows it both need them, and nothing decides a task in between (flow lock held).
    """
    cached = getattr(case, "_round_tasks", None)
    if cached is not None and cached[0] == case.round:
        return cached[1]
    tasks = case.task_set.filter(flow_task=CaseFlow.approve, status=STATUS.DONE)
    tasks = [t for t in tasks if t.data.get("round") == case.round]
    case._round_tasks = (case.round, tasks)
    return tasks


# The states a route closes a case in: a decision, or (only at the start of a case migrated
# closed from a spreadsheet) the outcome its row gives; the End node finishes it.
CLOSING_STATES = {CaseState.APPROVED, CaseState.REJECTED, CaseState.WITHDRAWN, CaseState.CANCELLED}


def _migrated(case: Case, imported) -> None:
    """A case migrated from a spreadsheet (`importing.case_import`): its id there, when it began
    (its SLA clocks count from then: `events.clock_start`), and where it resumes."""
    case.external_id, case.migrated, case.migration_note = imported.external_id, True, imported.note
    case.created = imported.created_at
    setattr(case, events.CLOCK_START, imported.created_at)
    routing.case_route_imported(case, stage=imported.stage, assignment=imported.assignment, outcome=imported.outcome)


class CaseFlow(flow.Flow):
    """Case

    A case of a business-owner-defined workflow, routed by the spec of its pinned version.
    """

    process_class = Case
    # NOTE: the default no_lock corrupts Joins under concurrency on PostgreSQL; on SQLite the
    # row lock is a no-op and SQLite's own write lock serialises instead.
    # CaseLock is viewflow's SelectForUpdateLock(nowait=False) that reads the case as it locks it.
    lock_impl = CaseLock(nowait=False)

    start = StartCase(this.on_start).Next(this.route)
    route = (
        Route(this.decide)
        .Case(this.approval_split, _state_is(CaseState.APPROVAL))
        .Case(this.rework, _state_is(CaseState.REWORK))
        .Case(this.step, _state_is(CaseState.WAITING))
        .Case(this.approved, _state_is(CaseState.APPROVED))
        .Default(this.rejected)
    )
    approval_split = ApprovalSplit(on_created=this.approvals_created).Next(
        this.approve, data_source=this.stage_approvers
    )
    approve = (
        HumanTask()
        .Annotation(title="Approval")
        .Assign(this.assigned_user)
        .Permission(approval_queue)
        .onCreate(this.task_created)
        .Next(this.approval_join)
    )
    approval_join = ApprovalJoin(continue_on_condition=this.stage_settled, on_cancel=this.tasks_cancelled).Next(
        this.route
    )
    rework = (
        HumanTask().Annotation(title="Rework").Assign(this.requester_of).onCreate(this.rework_created).Next(this.route)
    )
    step = AutomatedStep(this.step_created).Annotation(title="Automated step").Next(this.route)
    approved = flow.End()
    rejected = flow.End()

    # --- callbacks -------------------------------------------------------------------------

    def on_start(
        self,
        activation,
        *,
        version,
        data,
        requester,
        idempotency_key=None,
        idempotency_hash="",
        is_test=False,
        started_by=None,
        imported=None,
    ):
        case = activation.process
        case.definition_id = version.definition_id
        case.version = version
        case.workflow_key = version.definition.key
        case.version_number = version.number or 0  # a draft has no number yet
        case.is_test = is_test
        case.started_by = started_by
        case.requester = requester
        case.data = data
        case.idempotency_key = idempotency_key
        case.idempotency_hash = idempotency_hash
        case._history_user = requester
        # Route before the first save, so the case row is written once at start.
        if imported is None:
            routing.case_route(case)
        else:
            _migrated(case, imported)
        case._route_ready = True
        started = audit_record(action=Action.CASE_STARTED, actor=requester, case=case, data=data)
        if imported is not None:  # the source row, in the case's history
            started = audit_record(
                action=Action.CASE_IMPORTED,
                actor=current_actor(),
                case=case,
                step=case.stage,
                reason=imported.note,
                context={"row": imported.row, "source": imported.source, "created_at": case.created.isoformat()},
            )
        change_note(case, event_words(started))
        return case

    def decide(self, activation):
        case = activation.process
        case._routed = True  # this transaction saves the case with its routing (services.task_complete)
        routed_at_start = getattr(case, "_route_ready", False)
        if routed_at_start:
            case._route_ready = False
            events.emit(events.case_started, case=case, actor=case.requester)
        elif case.state == CaseState.APPROVAL:
            routing.case_route_after_stage(case, round_tasks(case))
        elif case.state in {CaseState.WAITING, CaseState.EXCEPTION}:
            routing.case_route_after_step(case)
        else:
            routing.case_route(case)
        audit_record(
            action=Action.CASE_ROUTED,
            case=case,
            step=case.stage,
            data=case.data,
            reason=case.route.get("summary", ""),
            context=case.route,
        )
        change_note(case, case.route.get("summary", ""), keep=True)  # a decision's words come first
        if case.state == CaseState.REWORK:
            audit_record(action=Action.CASE_RETURNED, case=case, step=case.stage, reason=case.route["summary"])
            events.emit(events.case_returned, case=case)
        if case.state in CLOSING_STATES:
            # The End node saves the finished case; saving here would write it twice.
            case_closed(
                case=case,
                actor=None,  # the routing closed it, on the last decision
                action=Action.CASE_CLOSED,
                reason=case.closed_reason,
                step=case.state,
                context={"outcome": case.outcome}
                | ({"reason_code": code} if (code := case.route.get("reason_code")) else {}),
            )
        elif not routed_at_start:
            case._history_user = current_actor()
            case.save()

    def step_created(self, activation):
        case = activation.process
        stage = spec_of(case.version).stage(case.stage)
        events.emit(events.step_reached, case=case, task=activation.task, stage=stage)

    def approvals_created(self, activation, tasks):
        events.emit(events.stage_started, case=activation.process, tasks=tasks)

    def stage_approvers(self, activation):
        return activation.process.route.get("approvers", [])

    def assigned_user(self, activation):
        case = activation.process
        if case.is_sandboxed:  # a test case: its starter holds the task, as the person it routed to
            return User(pk=case.started_by_id)
        user_id = activation.task.data.get("user_id")
        return User(pk=user_id, username=activation.task.data.get("username", "")) if user_id else None

    def requester_of(self, activation):
        case = activation.process
        return User(pk=case.started_by_id if case.is_sandboxed else case.requester_id)

    def stage_settled(self, activation, active_tasks):
        case = activation.process
        arrived = activation.arrived_tasks()
        case._round_tasks = (case.round, arrived)  # the route node that follows reads them
        decisions = [t.data.get("decision") for t in arrived]
        route = case.route
        return (
            routing.stage_outcome(need=route.get("need", 1), count=len(route.get("approvers", [])), decisions=decisions)
            is not None
        )

    def task_created(self, activation):
        task = activation.task
        events.emit(events.task_created, case=activation.process, task=task)
        audit_record(
            action=Action.TASK_CREATED,
            case=activation.process,
            task=task,
            step=task.data.get("label", ""),
            reason=task.data.get("why", ""),
            context={
                "assignee": task.data.get("username"),
                "role": task.data.get("role"),
                "note": task.data.get("assignee_note", ""),
                # routed to a delegate while the approver is away: whom they act for
                "on_behalf_of": task.data.get("on_behalf_of", ""),
            },
        )

    def rework_created(self, activation):
        case, task = activation.process, activation.task
        task.data = {
            "kind": "rework",
            "label": "Rework: complete the request",
            "missing": case.route.get("missing", []),
            "message": case.route.get("summary", ""),
            "round": case.round,
        }
        task.save(update_fields=["data"])
        events.emit(events.task_created, case=case, task=task)
        audit_record(
            action=Action.TASK_CREATED,
            case=case,
            task=task,
            step=task.data["label"],
            reason=task.data["message"],
            context={"assignee_id": case.requester_id, "missing": task.data["missing"]},
        )

    def tasks_cancelled(self, activation, tasks):
        reason = "The stage was settled before this approval was needed."
        for task in tasks:
            task_cancelled(case=activation.process, task=task, actor=None, reason=reason)


def task_cancelled(*, case, task, actor, reason: str) -> None:
    """A person's task nobody needs any more: audited, and whoever held it is told (by the
    receivers of `events.task_cancelled`)."""
    audit_record(
        action=Action.TASK_CANCELLED, actor=actor, case=case, task=task, step=task.data.get("label", ""), reason=reason
    )
    events.emit(events.task_cancelled, case=case, task=task, actor=actor, reason=reason)


def case_closed(*, case, actor, action: str, reason: str, step: str = "", context: dict | None = None) -> None:
    """Every way a case ends passes here once, after its row is final: the receivers of
    `events.case_closed` act (compensation, the requester told, webhooks) and may add to the
    context of the one audit row that records the end."""
    context = dict(context or {})
    for extra in events.emit(events.case_closed, case=case, actor=actor, action=action, reason=reason):
        context.update(extra)
    audit_record(action=action, actor=actor, case=case, step=step, reason=reason, data=case.data, context=context)
