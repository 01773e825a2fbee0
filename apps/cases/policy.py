"""Who may do what to a case or task. Services enforce these; views use them to show actions."""

from django.db.models import Exists, OuterRef, Q
from viewflow.workflow.status import STATUS

from apps.core.errors import Conflict, NotAllowed
from apps.integrations.models import StepRun
from apps.org.roles import OPERATORS
from apps.org.selectors import user_role_names, user_sees_all_cases

from .models import Case
from .nodes import ROLE_PREFIX, task_role

OPEN_TASK_STATUSES = [STATUS.NEW, STATUS.ASSIGNED]

MSG_TASK_CLOSED = "This task is no longer open: it was {status}."
MSG_OWN_REQUEST = "You requested this case, so you cannot approve it (segregation of duties)."
MSG_TWICE_IN_STAGE = "You already act on another approval of this stage; one person approves once per stage."
MSG_NOT_YOURS = "This task is assigned to {owner}."
MSG_NOT_IN_ROLE = "Only members of the '{role}' role can take this task."
MSG_NOT_CLAIMED_BY_YOU = "You can only release a task you hold."
MSG_CASE_HIDDEN = "You cannot see this case."


def task_is_open(task) -> bool:
    return task.status in OPEN_TASK_STATUSES


def ensure_task_open(task) -> None:
    if not task_is_open(task):
        raise Conflict(MSG_TASK_CLOSED.format(status=str(task.status).lower()))


def _other_round_tasks_held(task, user) -> bool:
    """Does the user hold or have decided another approval task of the same stage round?"""
    round_no = task.data.get("round")
    siblings = task.process.task_set.filter(flow_task=task.flow_task, owner_id=user.pk).exclude(pk=task.pk)
    return any(s.data.get("round") == round_no and s.status != STATUS.CANCELED for s in siblings)


def ensure_can_act(*, user, task, case, claiming: bool = False) -> None:
    """Raise unless `user` may claim (when unassigned) and decide `task` now."""
    ensure_task_open(task)
    is_approval = task.data.get("kind", "approval") == "approval"
    if is_approval and case.requester_id == user.pk:
        raise NotAllowed(MSG_OWN_REQUEST)
    if task.owner_id is not None:
        if task.owner_id != user.pk:
            raise NotAllowed(MSG_NOT_YOURS.format(owner=task.owner.get_username()))
    else:
        role = task_role(task)
        if role is None or role not in user_role_names(user=user):
            raise NotAllowed(MSG_NOT_IN_ROLE.format(role=role or "?"))
    if is_approval and (claiming or task.owner_id is None) and _other_round_tasks_held(task, user):
        raise NotAllowed(MSG_TWICE_IN_STAGE)


def queue_filter(user) -> Q:
    """Open tasks a user can act on: theirs, or unclaimed in one of their roles' queues."""
    roles = [f"{ROLE_PREFIX}{name}" for name in user_role_names(user=user)]
    mine = Q(owner_id=user.pk, status=STATUS.ASSIGNED)
    claimable = Q(owner__isnull=True, status=STATUS.NEW, owner_permission__in=roles) & ~Q(
        process__case__requester_id=user.pk
    )
    return mine | claimable


def case_visibility_filter(user) -> Q | None:
    """Cases a user may read; None means all of them."""
    if user_sees_all_cases(user=user):
        return None
    names = user_role_names(user=user)
    roles = [f"{ROLE_PREFIX}{name}" for name in names]
    steps = StepRun.objects.filter(case_id=OuterRef("pk"))
    # Operators repair automated steps, so they read the cases that have any; a person an
    # exception was routed to reads that case.
    repairs = Exists(steps) if OPERATORS in names else Exists(steps.filter(assigned_to_id=user.pk))
    return (
        Q(requester_id=user.pk)
        | Q(task__owner_id=user.pk)
        | Q(task__owner__isnull=True, task__status=STATUS.NEW, task__owner_permission__in=roles)
        | Q(repairs)
    )


def case_can_view(*, user, case) -> bool:
    if user_sees_all_cases(user=user) or case.requester_id == user.pk:
        return True
    condition = case_visibility_filter(user)
    return Case.objects.filter(condition, pk=case.pk).exists()
