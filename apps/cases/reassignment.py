"""When people are away or leave: hand their open tasks to someone who can act.

Used by the SLA reroute level, by out-of-office handover, and when a user is deactivated or
loses a role, so one rule decides who takes over: the step's named backup, the person's own
backup, another member of the task's role, then their manager.
"""

from django.contrib.auth import get_user_model
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from apps.core.errors import ServiceError
from apps.org.selectors import role_members, user_manager

from .flows import CaseFlow
from .models import Case
from .nodes import task_role
from .services import task_reassign, task_release

User = get_user_model()


def backup_for(*, task, case) -> "User | None":
    """Who takes over `task` from its owner (never the requester, nor someone who held it)."""
    excluded = {case.requester_id, task.owner_id}
    excluded |= set(User.objects.filter(username__in=task.data.get("previous_owners", [])).values_list("pk", flat=True))
    for stage in case.version.spec.get("stages", []):
        if stage.get("key") != task.data.get("stage"):
            continue
        for approver in stage.get("approvers", []):
            if approver.get("key") == task.data.get("approver") and approver.get("backup"):
                named = User.objects.filter(username=approver["backup"], is_active=True).first()
                if named is not None and named.pk not in excluded:
                    return named
    if task.owner_id:
        backup = getattr(getattr(task.owner, "profile", None), "backup", None)
        if backup is not None and backup.is_active and backup.pk not in excluded:
            return backup
    role = task_role(task) or task.data.get("role")
    if role:
        members = role_members(role=role, exclude_ids=[pk for pk in excluded if pk])
        if members:
            return members[0]
    return None


def _open_tasks_of(user) -> list:
    return list(
        Task.objects.filter(owner_id=user.pk, status=STATUS.ASSIGNED, flow_task__in=[CaseFlow.approve, CaseFlow.rework])
        .select_related("owner")
        .order_by("created", "id")
    )


def absence_handover(*, user, delegate, actor) -> list:
    """Give all of a person's open approvals to their delegate, recorded "on behalf of"."""
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
                )
            )
        except ServiceError:
            continue  # e.g. the delegate requested that case: it stays, and the SLA will reroute it
    return moved


def user_tasks_reroute(*, user, reason: str, role: str | None = None) -> list:
    """Move a person's open approvals on (deactivated, or no longer in `role`), so none is stranded."""
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
            target = backup_for(task=task, case=case) or user_manager(user=user)
            if target is not None:
                moved.append(task_reassign(task_id=task.pk, to_user=target, reason=reason))
        except ServiceError:
            continue
    return moved
