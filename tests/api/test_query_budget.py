"""Listing cases and tasks costs a fixed number of queries, however many cases there are."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

# Token + user, the caller's roles, the count, the page.
TASK_LIST_QUERIES = 4
# The same, plus the open tasks of the page's cases, their history and their versions' specs (the
# history's context words name fields and reason codes): one query each.
CASE_LIST_QUERIES = 7

LISTS = [
    ("fiona", "/api/v1/tasks/"),  # claimable through the finance role
    ("bob", "/api/v1/tasks/"),  # assigned by name
    ("audrey", "/api/v1/cases/"),  # sees everything
    ("frank", "/api/v1/cases/"),  # sees through the finance queue
    ("alice", "/api/v1/cases/"),  # her own requests
]
BUDGET = {"/api/v1/tasks/": TASK_LIST_QUERIES, "/api/v1/cases/": CASE_LIST_QUERIES}


def _measure(api, expected_length: int) -> dict:
    counts = {}
    for username, url in LISTS:
        with CaptureQueriesContext(connection) as captured:
            response = api(username).get(url, {"per_page": 100})
        assert response.status_code == 200
        assert len(response.json()) == expected_length, (username, url)
        counts[username, url] = len(captured)
    return counts


def test_list_queries_do_not_grow_with_the_number_of_cases(api, start_purchase, django_assert_max_num_queries):
    for username, url in LISTS:
        api(username).get(url)  # warm up: a client's first request resolves URLs, caches content types

    for _ in range(5):
        start_purchase(amount="5000", vendor_risk="high")
    with_5 = _measure(api, 5)

    for _ in range(25):
        start_purchase(amount="5000", vendor_risk="high")
    with_30 = _measure(api, 30)

    assert with_30 == with_5
    for username, url in LISTS:
        with django_assert_max_num_queries(BUDGET[url]):
            response = api(username).get(url, {"per_page": 100})
        if url == "/api/v1/cases/":
            # The page really carries every case's open tasks and history.
            assert all(len(c["open_tasks"]) == 3 and len(c["history"]) >= 5 for c in response.json())


def test_a_case_detail_costs_the_same_for_a_small_and_a_large_case(api, start_purchase):
    client = api("audrey")
    small = start_purchase(amount="10")
    large = start_purchase(amount="5000", vendor_risk="high")
    client.get(f"/api/v1/cases/{small.pk}/")
    counts = []
    for case in (small, large):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
