"""The bottleneck view's numbers on a constructed history with known answers
(tests/metrics/bottleneck_history.py): per step p50/p90 hours and the share of the closed cases
that passed it; test cases and open cases never counted; a version and a date range narrow it."""

from apps.metrics.filters import metrics_filter
from apps.metrics.policy import metrics_scope
from apps.metrics.selectors import bottleneck_steps

from .bottleneck_history import KEY, bottlenecks

__all__ = ["bottlenecks"]


def steps(user, **query) -> dict:
    return bottleneck_steps(scope=metrics_scope(user=user), metrics_filter=metrics_filter(workflow=KEY, **query))


def table(result) -> list[tuple]:
    return [(s["kind"], s["key"], s["p50"], s["p90"], s["passed"], s["share"]) for s in result["steps"]]


def test_each_step_its_time_and_the_share_that_passed_it(bottlenecks, demo):
    p, q, r = (bottlenecks[name].pk for name in "PQR")
    result = steps(demo["oscar"])
    assert result["closed"] == 3 and result["case_ids"] == sorted([p, q, r])  # not O (open), not T (a test)
    assert result["versions"] == [1, 2]
    assert table(result) == [
        ("approval", "review", 6.0, 9.2, 3, 1.0),
        ("approver", "review:finance", 1.0, 1.0, 2, 0.6667),
        ("approver", "review:manager", 6.0, 9.2, 3, 1.0),
        ("wait", "customer", 4.0, 5.6, 2, 0.6667),
        ("rework", "rework", 16.0, 16.0, 1, 0.3333),
    ]
    by_key = {s["key"]: s for s in result["steps"]}
    # The drill-down of a step lists the cases that passed it.
    assert by_key["review:finance"]["case_ids"] == sorted([p, q])
    assert by_key["rework"]["case_ids"] == [q]
    assert (by_key["review:manager"]["stage"], by_key["review:manager"]["approver"]) == ("review", "manager")
    assert by_key["customer"]["name"] == "Customer answers"


def test_a_version_and_a_date_range_narrow_the_cases(bottlenecks, demo):
    v2 = steps(demo["oscar"], version=2)
    assert v2["closed"] == 1 and v2["versions"] == [2]
    assert table(v2) == [("approval", "review", 10.0, 10.0, 1, 1.0), ("approver", "review:manager", 10.0, 10.0, 1, 1.0)]
    v1 = steps(demo["oscar"], version=1)
    assert [(s["key"], s["p50"], s["passed"]) for s in v1["steps"]][:1] == [("review", 5.0, 2)]  # P 4, Q 6
    monday = steps(demo["oscar"], date_from="2026-11-02", date_to="2026-11-02")  # only P closed on Monday
    assert monday["case_ids"] == [bottlenecks["P"].pk]
    assert ("wait", "customer", 2.0, 2.0, 1, 1.0) in table(monday)
    assert steps(demo["oscar"], date_from="2026-12-01") == {"closed": 0, "case_ids": [], "versions": [], "steps": []}


def test_a_workflow_owner_sees_hers_and_a_manager_nothing_whole(bottlenecks, demo):
    assert steps(demo["olivia"])["closed"] == 3
    assert steps(demo["bob"])["closed"] == 0  # bob sees his reports' pending approvals, no workflow whole


def test_it_costs_three_queries_whatever_the_history(bottlenecks, demo, django_assert_num_queries):
    scope, chosen = metrics_scope(user=demo["oscar"]), metrics_filter(workflow=KEY)
    with django_assert_num_queries(3):
        bottleneck_steps(scope=scope, metrics_filter=chosen)
