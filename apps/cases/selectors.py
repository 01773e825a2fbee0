"""Reads about cases and tasks, already filtered by what the user may see."""

import calendar

from django.db import connections
from django.db.models import Count, Prefetch, Q
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from apps.audit.selectors import audit_events_for_case
from apps.core.errors import NotAllowed, NotFound
from apps.org.selectors import user_role_names

from .flows import CaseFlow
from .models import Case, CaseState, Outcome
from .nodes import ROLE_PREFIX
from .policy import MSG_CASE_HIDDEN, OPEN_TASK_STATUSES, case_can_view, case_visibility_filter
from .taskinfo import REWORK

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


# The task lists below select the same rows as `policy.queue_filter`, in a shape the indexes of
# migration 0005 serve: each branch matches one partial index whose trailing columns give the
# order, and one's own requests are excluded by case id (an index on the requester) instead of
# a join to process and case for every task. Their cost follows the person's share, not the table.


def task_assigned_filter(user) -> Q:
    """Open tasks assigned to the user (index task_assigned_owner_created)."""
    return Q(owner_id=user.pk, status=STATUS.ASSIGNED)


def task_claimable_filter(user, *, roles: list[str] | None = None) -> Q:
    """Unclaimed tasks in the queues of the user's roles, minus the cases they requested
    (index task_queue_role_created; segregation of duties: nobody claims their own request)."""
    if roles is None:
        roles = user_role_permissions(user=user)
    own_requests = Case.objects.filter(requester_id=user.pk).values("pk")
    return Q(owner__isnull=True, status=STATUS.NEW, owner_permission__in=roles) & ~Q(process_id__in=own_requests)


def task_queue_filter(user) -> Q:
    """Open tasks a user can act on: theirs, or claimable (the rows of `policy.queue_filter`)."""
    return task_assigned_filter(user) | task_claimable_filter(user)


def user_role_permissions(*, user) -> list[str]:
    """The `owner_permission` values of the user's roles' queues."""
    return [f"{ROLE_PREFIX}{name}" for name in user_role_names(user=user)]


class TaskPages:
    """A list of tasks as a paginator reads it (`count()` and slices), served branch by branch.

    `rows` are the tasks with their joins and order, `where` picks the list's rows and `branches`
    split `where` into parts that each walk one index in the list's order (assigned to the user;
    one role's queue each). A slice [a:b] takes each branch's first b task ids and reads the
    page's rows by id: one statement whose cost follows the page, however many tasks the table
    holds (with one OR over the branches, the planner walks `created` across the whole table or
    sorts every match). Databases that cannot limit the parts of a UNION (SQLite) read the page
    from `queryset`, the plain filter. Iterating yields every task.
    """

    ordered = True  # the paginator checks this

    def __init__(self, *, rows, where: Q, branches: list[Q]):
        self.rows, self.branches = rows, branches
        self.queryset = rows.filter(where)

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __iter__(self):
        return iter(self.queryset)

    def __getitem__(self, index):
        if not (self._by_branch() and isinstance(index, slice) and index.stop is not None and not index.step):
            return self.queryset[index]
        heads = [self.rows.filter(branch).values("pk")[: index.stop] for branch in self.branches]
        firsts = heads[0].union(*heads[1:], all=True) if len(heads) > 1 else heads[0]
        return self.rows.filter(pk__in=firsts)[index]

    def _by_branch(self) -> bool:
        return bool(self.branches) and connections[self.rows.db].features.supports_slicing_ordering_in_compound


def human_tasks():
    return Task.objects.filter(flow_task__in=HUMAN_TASKS)


def task_list_for_user(*, user) -> TaskPages:
    """Open tasks the user can act on: assigned to them, or claimable through a role."""
    rows = human_tasks().select_related("owner", "sla_clock").order_by("created", "id")
    roles = user_role_permissions(user=user)
    branches = [task_assigned_filter(user)] + [task_claimable_filter(user, roles=[role]) for role in roles]
    return TaskPages(rows=rows, where=task_queue_filter(user), branches=branches)


# --- Operations: counts for /metrics and the operators' health page (apps.ops). Test cases are
# never counted. Aggregate queries only.


def case_counts_by_outcome() -> dict[tuple[str, str | None], int]:
    """Cases ever started, by (workflow, outcome); outcome None: still open."""
    rows = Case.objects.filter(is_test=False).order_by().values_list("workflow_key", "outcome").annotate(n=Count("pk"))
    return {(workflow, outcome): n for workflow, outcome, n in rows}


def open_task_counts() -> dict[tuple[str, str], int]:
    """Open tasks for people, by (workflow, stage); a task returned to the requester counts under
    the stage "rework"."""
    rows = (
        human_tasks()
        .filter(status__in=OPEN_TASK_STATUSES, process__case__is_test=False)
        .order_by()
        .values_list("process__case__workflow_key", KeyTextTransform("kind", "data"), KeyTextTransform("stage", "data"))
        .annotate(n=Count("pk"))
    )
    counts: dict[tuple[str, str], int] = {}
    for workflow, kind, stage, n in rows:
        key = (workflow, REWORK if kind == REWORK else (stage or ""))
        counts[key] = counts.get(key, 0) + n
    return counts


def case_throughput(*, since) -> dict[str, int]:
    """Cases started and closed, and tasks people completed, since then (two queries)."""
    cases = Case.objects.filter(is_test=False).aggregate(
        started=Count("pk", filter=Q(created__gte=since)),
        closed=Count("pk", filter=Q(finished__gte=since, outcome__isnull=False)),
    )
    completed = human_tasks().filter(status=STATUS.DONE, finished__gte=since, process__case__is_test=False).count()
    return {**cases, "tasks_completed": completed}


def _months_before(moment, months: int):
    """The same wall-clock moment `months` calendar months earlier (31 March - 1 month: 28/29 Feb)."""
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def case_similar_counts(*, case: Case, similar, now=None) -> list[dict]:
    """How many other cases of the case's workflow were started in the last `similar.months`
    months by the same requester, and with the same value of each of `similar.fields` (test
    cases left out), and how many of those were approved (closed so, or in force until their
    scheduled step): one query.

    Returns [{"same": "requester" | field name, "value", "count", "approved"}], in the spec's
    order (requester first); a field the case left empty is left out.
    """
    since = _months_before(now or timezone.now(), similar.months)
    matches = {}
    if similar.by_requester:
        matches["requester"] = ("", Q(requester_id=case.requester_id))
    for name in similar.fields:
        value = (case.data or {}).get(name)
        if value not in (None, ""):
            matches[name] = (str(value), Q(**{f"similar_{name}": str(value)}))
    if not matches:
        return []
    queryset = Case.objects.filter(workflow_key=case.workflow_key, is_test=False, created__gte=since).exclude(
        pk=case.pk
    )
    queryset = queryset.annotate(**{f"similar_{name}": KeyTextTransform(name, "data") for name in similar.fields})
    # Approved: closed so, or approved and waiting for its scheduled step (an exception in force
    # until its expiry date, an access until it is revoked; the templates schedule such a step
    # after their approvals).
    approved = Q(outcome=Outcome.APPROVED) | Q(
        outcome__isnull=True, state=CaseState.WAITING, route__has_key="not_before"
    )
    aggregates = {}
    for i, (_, condition) in enumerate(matches.values()):
        aggregates[f"c{i}"] = Count("pk", filter=condition)
        aggregates[f"a{i}"] = Count("pk", filter=condition & approved)
    counts = queryset.aggregate(**aggregates)
    return [
        {"same": same, "value": value, "count": counts[f"c{i}"], "approved": counts[f"a{i}"]}
        for i, (same, (value, _)) in enumerate(matches.items())
    ]
