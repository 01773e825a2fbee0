"""Reads for the staff portal: inbox tabs, home counts, case search. Built on the cases
task filters, so the portal shows exactly what the API would."""

import re

from django.db import connection
from django.db.models import Count, F, Prefetch, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import IContains
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from apps.cases.flows import CaseFlow
from apps.cases.models import Case
from apps.cases.nodes import ROLE_PREFIX
from apps.cases.policy import OPEN_TASK_STATUSES, team_requests_filter, team_tasks_filter, user_manages_people
from apps.cases.selectors import (
    TaskPages,
    task_assigned_filter,
    task_claimable_filter,
    task_queue_filter,
    user_role_permissions,
)
from apps.definitions.accessors import spec_of
from apps.definitions.models import DefinitionVersion
from apps.definitions.selectors import text_field_names
from apps.org.selectors import user_role_names

HUMAN_TASKS = [CaseFlow.approve, CaseFlow.rework]
TABS = {"assigned": "Assigned to me", "queue": "My roles' queue", "done": "Done by me"}
# Managers also see what waits on the people who report to them (apps.cases.policy decides who).
TEAM = "team"
MANAGER_TABS = {**TABS, TEAM: "My team"}
SORTS = {
    "oldest": ("created", "id"),
    "newest": ("-created", "-id"),
    "due": (F("sla_clock__due").asc(nulls_last=True), "created", "id"),
}


def _tasks():
    return Task.objects.filter(flow_task__in=HUMAN_TASKS).select_related(
        "owner", "process__case__requester", "sla_clock"
    )


def inbox_tabs(*, user) -> dict:
    """The inbox tabs a person has: "My team" only for managers."""
    return MANAGER_TABS if user_manages_people(user) else TABS


def inbox_tasks(*, user, tab: str, workflow: str = "", sort: str = "oldest"):
    """The tasks of one inbox tab, filtered by workflow and sorted by age.

    Each tab is one branch of the queue filter, so it walks one index in the page's order; the
    queue tab walks one per role (see `TaskPages`)."""
    tasks = _tasks()
    if workflow:
        tasks = tasks.filter(process__case__workflow_key=workflow)
    if tab == "done":
        return tasks.filter(owner_id=user.pk, status=STATUS.DONE).order_by("-finished", "-id")
    tasks = tasks.order_by(*SORTS.get(sort, SORTS["oldest"]))
    if tab == TEAM:
        return tasks.filter(team_tasks_filter(user))
    if tab == "assigned":
        return tasks.filter(task_assigned_filter(user))
    branches = [task_claimable_filter(user, roles=[role]) for role in user_role_permissions(user=user)]
    return TaskPages(rows=tasks, where=task_claimable_filter(user), branches=branches)


def inbox_counts(*, user) -> dict:
    """How many tasks wait in each tab (done is not counted: it only grows)."""
    mine = Task.objects.filter(task_queue_filter(user), flow_task__in=HUMAN_TASKS)
    counts = mine.aggregate(
        assigned=Count("id", filter=Q(owner_id=user.pk)), queue=Count("id", filter=Q(owner__isnull=True))
    )
    return counts


def role_queue_counts(*, user) -> list[tuple[str, int]]:
    """For each of the user's roles, the unclaimed tasks waiting in its queue."""
    roles = user_role_names(user=user)
    claimable = Task.objects.filter(task_claimable_filter(user), flow_task__in=HUMAN_TASKS)
    rows = claimable.order_by().values("owner_permission").annotate(n=Count("id"))
    counts = {row["owner_permission"][len(ROLE_PREFIX) :]: row["n"] for row in rows}
    return [(role, counts.get(role, 0)) for role in roles]


TEAM_REQUESTS_SHOWN = 50


def team_requests(*, user, workflow: str = "") -> tuple[list, bool]:
    """The oldest open requests of the people who report to the user (at most
    TEAM_REQUESTS_SHOWN), with who has them now, and whether there are more."""
    open_tasks = Prefetch(
        "task_set",
        queryset=Task.objects.filter(status__in=OPEN_TASK_STATUSES, flow_task__in=HUMAN_TASKS)
        .select_related("owner")
        .order_by("created", "id"),
        to_attr="open_tasks",
    )
    cases = Case.objects.filter(team_requests_filter(user)).select_related("requester").prefetch_related(open_tasks)
    if workflow:
        cases = cases.filter(workflow_key=workflow)
    rows = list(cases.order_by("created", "pk")[: TEAM_REQUESTS_SHOWN + 1])
    return rows[:TEAM_REQUESTS_SHOWN], len(rows) > TEAM_REQUESTS_SHOWN


def next_task_for(*, user):
    """The oldest task assigned to the user: where they go after acting."""
    return _tasks().filter(owner_id=user.pk, status=STATUS.ASSIGNED).order_by("created", "id").first()


def my_open_requests(*, user):
    return Case.objects.filter(_mine(user), status="NEW").order_by("-created")


def my_requests(*, user, q: str = ""):
    """A person's requests, newest first; with `q`, those matching it as the case search does."""
    cases = Case.objects.filter(_mine(user)).order_by("-created", "-pk")
    if q:
        cases = cases.filter(case_text_match(q, field_names=text_field_names()))
    return cases


def _mine(user) -> Q:
    """A person's requests: what they asked for, and the test cases they started (a test case
    that routes as someone else is not that person's request)."""
    return Q(requester_id=user.pk, started_by__isnull=True) | Q(started_by_id=user.pk)


# The distinct workflow keys of all cases, found by hopping the workflow_key index from one key
# to the next (one probe per key) instead of reading every case; SQLite and PostgreSQL alike.
WORKFLOW_KEYS_SQL = """
WITH RECURSIVE wk(k) AS (
    SELECT MIN(workflow_key) FROM {table}
    UNION ALL
    SELECT (SELECT MIN(workflow_key) FROM {table} WHERE workflow_key > wk.k) FROM wk WHERE wk.k IS NOT NULL
)
SELECT k FROM wk WHERE k IS NOT NULL
"""


def workflow_keys() -> list[str]:
    """Every workflow key some case has, sorted (the inbox's workflow filter)."""
    table = connection.ops.quote_name(Case._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(WORKFLOW_KEYS_SQL.format(table=table))
        return [row[0] for row in cursor.fetchall()]


def case_search(*, q="", workflow="", status="", outcome="", requester="", date_from=None, date_to=None, tests=""):
    """Every case matching the auditor's filters (callers check that the user may see all).

    Test cases are left out unless `tests` is "include" (with the real ones) or "only"."""
    queryset = Case.objects.select_related("requester").order_by("-created", "-pk")
    if q:
        queryset = queryset.filter(case_text_match(q, field_names=text_field_names(key=workflow)))
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
    if tests == "only":
        queryset = queryset.filter(is_test=True)
    elif tests != "include":
        queryset = queryset.filter(is_test=False)
    return queryset


REQUEST_NUMBER = re.compile(r"^#?(\d{1,18})$")  # 18 digits: still a bigint


def case_text_match(q: str, *, field_names) -> Q:
    """Cases whose every word of `q` is in the request number ("42" or "#42"), the requester's
    username or the value of one of the named case data fields (never in a field's name).

    Each value is read as text by the database (`->>` on PostgreSQL, JSON_EXTRACT on SQLite), so
    one query works on both. "#42" means that request only; "42" also finds "PO-4200"."""
    match = Q()
    for word in q.split():
        number = REQUEST_NUMBER.match(word)
        if number and word.startswith("#"):
            match &= Q(pk=int(number[1]))
            continue
        found = Q(requester__username__icontains=word)
        for name in field_names:
            found |= Q(IContains(KeyTextTransform(name, "data"), word))
        if number:
            found |= Q(pk=int(number[1]))
        match &= found
    return match


def case_tasks(*, case):
    """Every human task of the case (for the case page and the task page's parallel approvals)."""
    return list(case.task_set.filter(flow_task__in=HUMAN_TASKS).select_related("owner").order_by("created", "id"))


def open_approvals_count(*, user) -> int:
    """Approvals assigned to the user and still open (what a handover would move)."""
    return Task.objects.filter(owner_id=user.pk, status=STATUS.ASSIGNED, flow_task=CaseFlow.approve).count()


def human_task_get(*, task_id: int):
    """A person's task (approval or rework) by id, with its owner; None for engine-internal tasks."""
    return Task.objects.select_related("owner").filter(pk=task_id, flow_task__in=HUMAN_TASKS).first()


def task_row_get(*, task_id: int):
    """One task as an inbox row shows it (owner, case and requester, SLA clock)."""
    return Task.objects.select_related("owner", "process__case__requester", "sla_clock").get(pk=task_id)


def version_spec(*, workflow: str, number) -> "object | None":
    """The typed spec of a workflow's version by its number (None if there is none): names the
    fields and reason codes of audit events found across cases (apps.audit.words)."""
    if not workflow or number is None:
        return None
    version = DefinitionVersion.objects.filter(definition__key=workflow, number=number).first()
    return spec_of(version) if version is not None else None
