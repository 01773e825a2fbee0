"""Reads about cases and tasks, already filtered by what the user may see."""

from django.db.models import Prefetch
from viewflow.workflow.models import Task

from apps.audit.selectors import audit_events_for_case
from apps.core.errors import NotAllowed, NotFound

from .flows import CaseFlow
from .models import Case
from .policy import MSG_CASE_HIDDEN, OPEN_TASK_STATUSES, case_can_view, case_visibility_filter, queue_filter

HUMAN_TASKS = [CaseFlow.approve, CaseFlow.rework]


def _open_tasks_prefetch() -> Prefetch:
    return Prefetch(
        "task_set",
        queryset=Task.objects.filter(status__in=OPEN_TASK_STATUSES, flow_task__in=HUMAN_TASKS)
        .select_related("owner", "sla_clock")
        .order_by("created", "id"),
        to_attr="open_tasks",
    )


def case_list_for_user(*, user):
    """Cases the user may see, newest first, with their open tasks."""
    queryset = Case.objects.select_related("requester").prefetch_related(_open_tasks_prefetch())
    condition = case_visibility_filter(user)
    if condition is not None:
        visible_ids = Case.objects.filter(condition).values("pk")
        queryset = queryset.filter(pk__in=visible_ids)
    return queryset.order_by("-created", "-pk")


def case_get_for_user(*, user, case_id: int) -> Case:
    case = (
        Case.objects.select_related("requester", "version")
        .prefetch_related(_open_tasks_prefetch())
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound(f"Case {case_id} does not exist.")
    if not case_can_view(user=user, case=case):
        raise NotAllowed(MSG_CASE_HIDDEN)
    return case


def case_history(*, case: Case):
    return audit_events_for_case(case_id=case.pk)


def task_list_for_user(*, user):
    """Open tasks the user can act on: assigned to them, or claimable through a role."""
    return (
        Task.objects.filter(queue_filter(user), flow_task__in=HUMAN_TASKS)
        .select_related("owner", "sla_clock")
        .order_by("created", "id")
    )
