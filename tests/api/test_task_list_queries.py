"""GET /api/v1/tasks/ at any size: four queries (token and user, roles, count, page), full pages in
the documented order, and never the caller's own request from their role's queue."""

import pytest

# Token + user, the caller's roles, the count (X-Total-Count), the page.
TASK_LIST_QUERIES = 4


@pytest.fixture
def finance_queue(users, start_purchase):
    """Seven purchases in the finance queue: five by alice, two by fiona herself."""
    cases = [start_purchase(amount="5000") for _ in range(5)]
    own = [start_purchase(amount="5000", actor=users["fiona"]) for _ in range(2)]
    return cases, own


def _pages(client, per_page):
    """Every page of the caller's task list, following the Link header."""
    rows, page = [], 1
    while True:
        response = client.get("/api/v1/tasks/", {"per_page": per_page, "page": page})
        assert response.status_code == 200
        rows.append(response.json())
        if 'rel="next"' not in response.get("Link", ""):
            return rows, int(response["X-Total-Count"])
        page += 1


def test_task_list_costs_four_queries_with_own_requests_in_the_queue(api, finance_queue, django_assert_num_queries):
    client = api("fiona")
    client.get("/api/v1/tasks/")  # warm up: URL resolution, content types
    with django_assert_num_queries(TASK_LIST_QUERIES):
        response = client.get("/api/v1/tasks/", {"per_page": 2})
    assert response.status_code == 200 and len(response.json()) == 2


def test_pages_are_full_ordered_and_never_hold_ones_own_request(api, finance_queue):
    cases, own = finance_queue
    pages, total = _pages(api("fiona"), per_page=2)
    assert total == 5 and [len(page) for page in pages] == [2, 2, 1]
    rows = [row for page in pages for row in page]
    assert [row["case"] for row in rows] == [case.pk for case in cases]
    assert not {row["case"] for row in rows} & {case.pk for case in own}
    assert [row["created"] for row in rows] == sorted(row["created"] for row in rows)


def test_a_colleague_sees_the_requests_the_requester_may_not_take(api, finance_queue):
    cases, own = finance_queue
    pages, total = _pages(api("frank"), per_page=3)
    assert total == 7
    assert {row["case"] for page in pages for row in page} == {case.pk for case in cases + own}
