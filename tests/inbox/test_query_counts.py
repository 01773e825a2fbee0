"""Pages stay fast as data grows: with 300 open tasks (six pages of the finance queue), the inbox and case
pages run a small, fixed number of queries (no query per row: a page's 25 rows would blow every
budget below)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from viewflow.workflow.models import Task

from apps.cases.models import Case
from apps.cases.services import case_start
from apps.demo.management.commands.seed_demo import seed_demo_data

CASES = 150  # each needs a manager and a finance approval: 300 open tasks


@pytest.fixture(scope="module")
def many_tasks(django_db_setup, django_db_blocker):
    """Built once for the module through the real services, flushed afterwards."""
    with django_db_blocker.unblock():
        seed_demo_data()
        alice = get_user_model().objects.get(username="alice")
        for n in range(CASES):
            case_start(
                workflow="purchase-approval",
                data={"amount": str(1000 + n), "vendor": f"Vendor {n}", "cost_center": "CC-1"},
                actor=alice,
            )
        assert Task.objects.filter(status__in=["NEW", "ASSIGNED"], flow_task_type="HUMAN").count() == 2 * CASES
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def as_user(client, many_tasks, db):
    def _as(username):
        client.force_login(get_user_model().objects.get(username=username))
        return client

    return _as


# carol's "My team": bob's 150 manager approvals; bob's: alice's 150 open requests (the oldest 50).
@pytest.mark.parametrize(
    ("username", "tab"),
    [("bob", "assigned"), ("fiona", "queue"), ("alice", "assigned"), ("carol", "team"), ("bob", "team")],
)
def test_inbox_tab_queries_do_not_grow_with_tasks(as_user, django_assert_max_num_queries, username, tab):
    client = as_user(username)
    with django_assert_max_num_queries(12):
        response = client.get(f"/inbox/?tab={tab}&page=3")
    assert response.status_code == 200


def test_inbox_rows_are_paginated(as_user):
    page = as_user("fiona").get("/inbox/?tab=queue").content.decode()
    assert page.count('<tr id="task-') == 25 and f"Page 1 of {CASES // 25}" in page


def test_home_page_queries_do_not_grow_with_tasks(as_user, django_assert_max_num_queries):
    client = as_user("bob")
    with django_assert_max_num_queries(14):
        assert client.get("/").status_code == 200


def test_case_and_task_pages_queries_do_not_grow_with_tasks(as_user, django_assert_max_num_queries):
    case = Case.objects.order_by("pk").last()
    task = case.task_set.filter(flow_task_type="HUMAN").first()
    client = as_user("alice")
    with django_assert_max_num_queries(16):
        assert client.get(f"/cases/{case.pk}/").status_code == 200
    client = as_user("bob")
    with django_assert_max_num_queries(16):
        assert client.get(f"/tasks/{task.pk}/").status_code == 200


def test_the_team_tab_shows_a_page_of_tasks_and_the_oldest_requests(as_user):
    carol = as_user("carol").get("/inbox/?tab=team&page=2").content.decode()
    assert carol.count('<tr id="task-') == 25 and f"Page 2 of {CASES // 25}" in carol
    bob = as_user("bob").get("/inbox/?tab=team").content.decode()
    assert bob.count('href="/cases/') >= 50 and "The oldest 50 are shown" in bob


def test_an_owners_case_page_queries_do_not_grow_with_cases(as_user, django_assert_max_num_queries):
    """olivia reads every purchase through one filter: the policy asks one query whatever the number
    of cases (a reader who did not request the case also pays for whether they may write to it)."""
    case = Case.objects.order_by("pk").last()
    client = as_user("olivia")
    with django_assert_max_num_queries(17):
        assert client.get(f"/cases/{case.pk}/").status_code == 200


def test_auditor_search_queries_do_not_grow(as_user, django_assert_max_num_queries):
    client = as_user("audrey")
    with django_assert_max_num_queries(10):
        assert client.get("/audit/cases/?workflow=purchase-approval&page=2").status_code == 200
