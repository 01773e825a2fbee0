"""Inboxes at scale: the tabs and the API task list read through index-shaped filters (see
apps/cases/migrations/0005_inbox_task_indexes.py and bench/inbox.py). These tests pin that the
reshaped filters select exactly the rows of the policy's queue filter, that nobody's role queue
ever shows their own request, and the number of queries a page costs."""

from importlib import import_module

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from viewflow.workflow.models import Task

from apps.cases.flows import CaseFlow
from apps.cases.models import Case
from apps.cases.policy import queue_filter
from apps.cases.selectors import task_list_for_user, task_queue_filter
from apps.inbox import selectors
from tests.conftest import task_for

HUMAN = [CaseFlow.approve, CaseFlow.rework]
# Session, user, roles, the tab's count and page, the calendar (business hours), the workflow
# filter's keys, the tab counts (one query for both tabs), the unread notifications.
INBOX_TAB_QUERIES = 9
INDEXES = import_module("apps.cases.migrations.0005_inbox_task_indexes").INDEXES


@pytest.fixture
def mixed(users, start_purchase):
    """Tasks of every kind: assigned by name, queued for finance (one requested by fiona, one by
    frank), a rework returned to its requester, and one decided task."""
    start_purchase(amount="5000")
    start_purchase(amount="5000", actor=users["fiona"])
    start_purchase(amount="5000", actor=users["frank"])
    start_purchase(cost_center=None)  # rework, assigned back to alice
    decided = start_purchase(amount="10")
    from apps.cases.services import task_complete

    task_complete(task_id=task_for(decided, "Manager approval").pk, actor=users["bob"], decision="approve")
    return users


def _ids(tasks):
    return [task.pk for task in tasks]


def _fresh(user):
    return get_user_model().objects.get(pk=user.pk)


@pytest.mark.parametrize("username", ["alice", "bob", "carol", "fiona", "frank", "leo", "audrey"])
def test_task_list_selects_the_rows_of_the_queue_filter_in_the_same_order(mixed, username):
    user = mixed[username]
    expected = Task.objects.filter(queue_filter(_fresh(user)), flow_task__in=HUMAN).order_by("created", "id")
    assert _ids(task_list_for_user(user=_fresh(user))) == _ids(expected)
    assert _ids(Task.objects.filter(task_queue_filter(_fresh(user)))) == _ids(
        Task.objects.filter(queue_filter(_fresh(user)))
    )


@pytest.mark.parametrize("username", ["alice", "bob", "fiona", "frank"])
def test_tabs_are_the_branches_of_the_queue_filter(mixed, username):
    user = mixed[username]
    mine = Task.objects.filter(queue_filter(_fresh(user)), flow_task__in=HUMAN).order_by("created", "id")
    assert _ids(selectors.inbox_tasks(user=_fresh(user), tab="assigned")) == _ids(mine.filter(owner_id=user.pk))
    assert _ids(selectors.inbox_tasks(user=_fresh(user), tab="queue")) == _ids(mine.filter(owner__isnull=True))
    counts = selectors.inbox_counts(user=_fresh(user))
    assert counts == {
        "assigned": mine.filter(owner_id=user.pk).count(),
        "queue": mine.filter(owner__isnull=True).count(),
    }


def test_the_queue_never_lists_ones_own_request(mixed):
    fiona, frank = mixed["fiona"], mixed["frank"]
    hers = Case.objects.get(requester=fiona)
    her_finance_task = task_for(hers, "Finance approval")
    assert her_finance_task.owner_id is None and her_finance_task.owner_permission == "role:finance"

    queue = _ids(selectors.inbox_tasks(user=_fresh(fiona), tab="queue"))
    assert her_finance_task.pk not in queue and len(queue) == 2  # alice's and frank's requests
    assert her_finance_task.pk not in _ids(task_list_for_user(user=_fresh(fiona)))
    assert selectors.inbox_counts(user=_fresh(fiona))["queue"] == 2
    assert selectors.role_queue_counts(user=_fresh(fiona)) == [("finance", 2)]
    # Her colleague sees it (and not his own).
    assert her_finance_task.pk in _ids(selectors.inbox_tasks(user=_fresh(frank), tab="queue"))


def test_the_queue_page_never_shows_ones_own_request(mixed, signed_in):
    hers = task_for(Case.objects.get(requester=mixed["fiona"]), "Finance approval")
    page = signed_in("fiona").get("/inbox/?tab=queue").content.decode()
    assert page.count('<tr id="task-') == 2 and f'id="task-{hers.pk}"' not in page
    page = signed_in("frank").get("/inbox/?tab=queue").content.decode()
    assert f'id="task-{hers.pk}"' in page


def test_a_rework_returned_to_its_requester_stays_in_their_assigned_tab(mixed):
    alice = mixed["alice"]
    rework = Task.objects.get(flow_task=CaseFlow.rework, status="ASSIGNED")
    assert rework.owner_id == alice.pk
    assert _ids(selectors.inbox_tasks(user=_fresh(alice), tab="assigned")) == [rework.pk]
    assert _ids(task_list_for_user(user=_fresh(alice))) == [rework.pk]


def test_workflow_keys_are_the_distinct_keys_of_all_cases(mixed):
    assert selectors.workflow_keys() == ["purchase-approval"]
    assert selectors.workflow_keys() == sorted(set(Case.objects.values_list("workflow_key", flat=True)))


def test_workflow_keys_of_no_cases(demo):
    assert selectors.workflow_keys() == []


@pytest.mark.parametrize("tab", ["assigned", "queue", "done"])
def test_inbox_tab_costs_a_fixed_number_of_queries(mixed, signed_in, django_assert_num_queries, tab):
    client = signed_in({"assigned": "bob", "queue": "frank", "done": "bob"}[tab])
    client.get(f"/inbox/?tab={tab}")  # warm up: URL resolution, content types
    with django_assert_num_queries(INBOX_TAB_QUERIES):
        response = client.get(f"/inbox/?tab={tab}")
    assert response.status_code == 200 and response.content.count(b'<tr id="task-') >= 1


@pytest.mark.parametrize(
    ("tab", "index"),
    [
        ("assigned", "task_assigned_owner_created"),
        ("queue", "task_queue_role_created"),
        ("done", "task_done_owner_finished"),
    ],
)
def test_each_tab_reads_its_index_in_page_order(mixed, tab, index):
    """The migration's SQL runs on SQLite too, and each tab walks its own index with no sort step
    (the tests run without migrations, so the test creates the indexes itself). PostgreSQL's plans
    at a million tasks are bench/inbox.py's business (a planner on a few rows scans them all)."""
    if connection.vendor != "sqlite":
        pytest.skip("query plans are checked on SQLite here, on PostgreSQL by bench/inbox.py")
    user = mixed["fiona" if tab == "queue" else "bob"]
    with connection.cursor() as cursor:
        for name, definition in INDEXES.items():
            cursor.execute(f"CREATE INDEX {name} ON viewflow_task {definition}")
        tasks = selectors.inbox_tasks(user=_fresh(user), tab=tab)
        queryset = getattr(tasks, "queryset", tasks)  # the queue tab's whole list (TaskPages)
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
    assert index in plan and "TEMP B-TREE" not in plan, plan


def test_every_slice_of_a_two_role_queue_is_the_plain_lists_slice(mixed, start_purchase):
    """On PostgreSQL a slice is read branch by branch (one per role); it must be the same rows
    in the same order as the plain filter's slice, at every page boundary."""
    from django.contrib.auth.models import Group

    for _ in range(3):
        start_purchase(amount="5000", vendor_risk="high")  # a finance and a legal approval each
    fiona = mixed["fiona"]
    fiona.groups.add(Group.objects.get(name="legal"))
    for tasks in (
        selectors.inbox_tasks(user=_fresh(fiona), tab="queue"),
        selectors.inbox_tasks(user=_fresh(fiona), tab="queue", sort="newest"),
        task_list_for_user(user=_fresh(fiona)),
    ):
        everything = list(tasks.queryset)
        assert len(everything) == tasks.count() == len(tasks) >= 8
        assert {task.owner_permission for task in everything if task.owner_id is None} == {
            "role:finance",
            "role:legal",
        }
        for start in range(len(everything) + 1):
            for stop in range(start, len(everything) + 2):
                assert list(tasks[start:stop]) == everything[start:stop], (start, stop)
