"""When people are away or leave: hand their open tasks to someone who can act.

Used by the SLA reroute level, by out-of-office handover, and when a user is deactivated or
loses a role, so one rule decides who takes over: the step's named backup, the person's own
backup, another member of the task's role, then their manager. Nobody the segregation-of-duties
rule refuses (`policy.assignee_problem`) is ever chosen; when nobody is left, the task stays
(or waits in a queue) and the operators are told.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from apps.audit.models import Action
from apps.audit.services import audit_record
from apps.core.errors import NotAllowed, ServiceError
from apps.definitions.accessors import spec_of
from apps.org import roles
from apps.org.selectors import role_members, user_manager_chain

from . import events
from .flows import CaseFlow
from .models import Case
from .nodes import task_role
from .policy import APPROVAL, REFUSALS, assignee_problem, round_holders, task_kind
from .services import task_reassign, task_release, task_requeue
from .taskinfo import task_info

User = get_user_model()

MSG_HANDOVER_REFUSED = "Not handed over to {delegate}: {refusal} It stays with {owner}; the operators were told."
MSG_NO_SUCCESSOR = "{owner} cannot act on it and nobody else may take it ({refused}): it waits in the operators' queue."


def _candidates(task, case):
    """Who might take over `task`, best first (lazily: each source costs a query)."""
    info = task_info(task)
    stage = spec_of(case.version).stage(info.stage)
    approver = stage.approver(info.approver) if stage is not None else None
    if approver is not None and approver.backup:
        yield from User.objects.filter(username=approver.backup)
    if task.owner_id:
        backup = getattr(getattr(task.owner, "profile", None), "backup", None)
        if backup is not None:
            yield backup
    role = task_role(task) or task.data.get("role")
    if role:
        yield from role_members(role=role)


def first_eligible(*, task, case, candidates, refused: list | None = None) -> "User | None":
    """The first candidate the segregation-of-duties rule lets take `task` (never its holder,
    nor someone who held it before: a reroute looks for someone new). Why the others were
    refused is appended to `refused`."""
    task.process = case
    excluded = {task.owner_id}
    excluded |= set(User.objects.filter(username__in=task.data.get("previous_owners", [])).values_list("pk", flat=True))
    holders = round_holders(task) if task_kind(task) == APPROVAL else set()
    for candidate in candidates:
        if candidate.pk in excluded:
            continue
        problem = assignee_problem(user=candidate, case=case, task=task, holders=holders)
        if problem is None:
            return candidate
        excluded.add(candidate.pk)
        if refused is not None:
            refused.append(REFUSALS[problem].format(username=candidate.get_username()))
    return None


def backup_for(*, task, case, refused: list | None = None) -> "User | None":
    """Who takes over `task` from its owner: the step's named backup, the owner's own backup,
    another member of the task's role; only people the segregation-of-duties rule allows."""
    return first_eligible(task=task, case=case, candidates=_candidates(task, case), refused=refused)


def operators_tell(*, case, task, subject: str, reason: str, action: str | None, actor=None, context=None) -> None:
    """Tell the operators about a task nobody eligible could take, and audit it (unless `action`
    is None: the caller's service audited it), in one step."""
    with transaction.atomic():
        events.emit(
            events.attention_needed,
            case=case,
            task=task,
            subject=subject,
            reason=reason,
            key=f"unassignable:{task.pk}:{timezone.now().timestamp()}",
        )
        if action is None:
            return
        audit_record(
            action=action,
            actor=actor,
            case=case,
            task=task,
            step=task.data.get("label", ""),
            reason=reason,
            context=context or {},
        )


def _open_tasks_of(user) -> list:
    return list(
        Task.objects.filter(owner_id=user.pk, status=STATUS.ASSIGNED, flow_task__in=[CaseFlow.approve, CaseFlow.rework])
        .select_related("owner")
        .order_by("created", "id")
    )


def absence_handover(*, user, delegate, actor) -> list:
    """Give all of a person's open approvals to their delegate, recorded "on behalf of".

    An approval the delegate may not take (they requested the case, or act on another approval
    of its stage) stays with the person; the operators are told, and the SLA reroutes it later.
    """
    moved = []
    for task in _open_tasks_of(user):
        if task.data.get("kind") == "rework":
            continue  # a requester's own request stays theirs
        try:
            moved.append(
                task_reassign(
                    task_id=task.pk,
                    to_user=delegate,
                    actor=actor,
                    reason=f"{user.username} is away: handed over to their delegate {delegate.username}.",
                    on_behalf_of=user.username,
                    context={"handover": True},
                    cause=events.HANDOVER,
                )
            )
        except NotAllowed as refusal:
            case = Case.objects.get(pk=task.process_id)
            operators_tell(
                case=case,
                task=task,
                actor=actor,
                action=Action.ABSENCE_HANDOVER,
                subject=f"{task.data.get('label', 'A task')} on request #{case.pk} could not be handed over",
                reason=MSG_HANDOVER_REFUSED.format(
                    delegate=delegate.username, refusal=refusal.message, owner=user.username
                ),
                context={"handover": True, "to": delegate.username, "refused": True},
            )
        except ServiceError:
            continue  # closed meanwhile
    return moved


def user_tasks_reroute(*, user, reason: str, role: str | None = None) -> list:
    """Move a person's open approvals on (deactivated, or no longer in `role`), so none is stranded.

    A role task goes back to its queue; another goes to the first eligible of: backup_for, then
    the person's managers up the chain; with nobody eligible, to the operators' queue.
    """
    moved = []
    for task in _open_tasks_of(user):
        if task.data.get("kind") == "rework":
            continue
        queue = task_role(task)
        if role is not None and queue != role:
            continue
        try:
            if queue is not None:
                task_release(task_id=task.pk, actor=user)  # back to its role's queue
                moved.append(task)
                continue
            case = Case.objects.select_related("version").get(pk=task.process_id)
            refused = []
            target = backup_for(task=task, case=case, refused=refused) or first_eligible(
                task=task, case=case, candidates=user_manager_chain(user=user), refused=refused
            )
            if target is not None:
                moved.append(task_reassign(task_id=task.pk, to_user=target, reason=reason))
                continue
            why = MSG_NO_SUCCESSOR.format(owner=user.username, refused=" ".join(refused) or "nobody to ask")
            moved.append(task_requeue(task_id=task.pk, role=roles.OPERATORS, reason=f"{reason} {why}"))
            operators_tell(
                case=case,
                task=task,
                action=None,
                subject=f"{task.data.get('label', 'A task')} on request #{case.pk} waits in your queue",
                reason=f"{reason} {why}",
                context={"to": f"{roles.OPERATORS} queue"},
            )
        except ServiceError:
            continue
    return moved
