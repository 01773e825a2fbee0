"""Reads for the staff portal: inbox tabs, home counts, case search. Built on the cases
policy filters, so the portal shows exactly what the API would."""

from django.db.models import Count, F, Q
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from apps.cases.flows import CaseFlow
from apps.cases.models import Case
from apps.cases.nodes import ROLE_PREFIX
from apps.cases.policy import queue_filter
from apps.org.selectors import user_role_names

HUMAN_TASKS = [CaseFlow.approve, CaseFlow.rework]
TABS = {"assigned": "Assigned to me", "queue": "My roles' queue", "done": "Done by me"}
SORTS = {
    "oldest": ("created", "id"),
    "newest": ("-created", "-id"),
    "due": (F("sla_clock__due").asc(nulls_last=True), "created", "id"),
}


def _tasks():
    return Task.objects.filter(flow_task__in=HUMAN_TASKS).select_related(
        "owner", "process__case__requester", "sla_clock"
    )


def inbox_tasks(*, user, tab: str, workflow: str = "", sort: str = "oldest"):
    """The tasks of one inbox tab, filtered by workflow and sorted by age."""
    if tab == "done":
        queryset = _tasks().filter(owner_id=user.pk, status=STATUS.DONE).order_by("-finished", "-id")
    else:
        queryset = _tasks().filter(queue_filter(user))
        if tab == "assigned":
            queryset = queryset.filter(owner_id=user.pk)
        else:
            queryset = queryset.filter(owner__isnull=True)
        queryset = queryset.order_by(*SORTS.get(sort, SORTS["oldest"]))
    if workflow:
        queryset = queryset.filter(process__case__workflow_key=workflow)
    return queryset


def inbox_counts(*, user) -> dict:
    """How many tasks wait in each tab (done is not counted: it only grows)."""
    mine = _tasks().filter(queue_filter(user))
    counts = mine.aggregate(
        assigned=Count("id", filter=Q(owner_id=user.pk)), queue=Count("id", filter=Q(owner__isnull=True))
    )
    return counts


def role_queue_counts(*, user) -> list[tuple[str, int]]:
    """For each of the user's roles, the unclaimed tasks waiting in its queue."""
    roles = user_role_names(user=user)
    rows = _tasks().filter(queue_filter(user), owner__isnull=True).values("owner_permission").annotate(n=Count("id"))
    counts = {row["owner_permission"][len(ROLE_PREFIX) :]: row["n"] for row in rows}
    return [(role, counts.get(role, 0)) for role in roles]


def next_task_for(*, user):
    """The oldest task assigned to the user: where they go after acting."""
    return _tasks().filter(owner_id=user.pk, status=STATUS.ASSIGNED).order_by("created", "id").first()


def my_open_requests(*, user):
    return Case.objects.filter(requester_id=user.pk, status="NEW").order_by("-created")


def my_requests(*, user):
    return Case.objects.filter(requester_id=user.pk).order_by("-created", "-pk")


def workflow_keys() -> list[str]:
    return list(Case.objects.order_by().values_list("workflow_key", flat=True).distinct())


def case_search(*, workflow="", status="", outcome="", requester="", date_from=None, date_to=None):
    """Every case matching the auditor's filters (callers check that the user may see all)."""
    queryset = Case.objects.select_related("requester").order_by("-created", "-pk")
    if workflow:
        queryset = queryset.filter(workflow_key=workflow)
    if status == "open":
        queryset = queryset.filter(status="NEW")
    elif status == "closed":
        queryset = queryset.exclude(status="NEW")
    if outcome:
        queryset = queryset.filter(outcome=outcome)
    if requester:
        queryset = queryset.filter(requester__username__iexact=requester)
    if date_from:
        queryset = queryset.filter(created__date__gte=date_from)
    if date_to:
        queryset = queryset.filter(created__date__lte=date_to)
    return queryset


def case_tasks(*, case):
    """Every human task of the case (for the case page and the task page's parallel approvals)."""
    return list(case.task_set.filter(flow_task__in=HUMAN_TASKS).select_related("owner").order_by("created", "id"))


def open_approvals_count(*, user) -> int:
    """Approvals assigned to the user and still open (what a handover would move)."""
    return Task.objects.filter(owner_id=user.pk, status=STATUS.ASSIGNED, flow_task=CaseFlow.approve).count()
