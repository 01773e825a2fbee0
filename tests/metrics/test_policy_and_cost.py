"""Who sees which metrics (apps.metrics.policy), and what each panel costs in queries."""

import pytest

from apps.core.errors import NotAllowed
from apps.definitions.library import LIBRARY
from apps.metrics import selectors
from apps.metrics.filters import metrics_filter
from apps.metrics.policy import ensure_can_see_metrics, metrics_scope

from .conftest import KEY, NOW


@pytest.mark.parametrize(
    ("username", "sees", "workflows"),
    [
        ("admin", "all", None),
        ("oscar", "all", None),
        ("audrey", "all", None),
        ("olivia", "workflows", {t["key"] for t in LIBRARY}),  # seed_demo gives her every template
        ("carol", "reports", set()),
        ("bob", "reports", set()),
    ],
)
def test_who_sees_what(demo, username, sees, workflows):
    scope = metrics_scope(user=demo[username])
    assert scope.allowed and scope.label == sees
    assert scope.workflows == (None if workflows is None else frozenset(workflows))


def test_managers_see_their_direct_reports(demo):
    assert metrics_scope(user=demo["carol"]).reports == {demo[name].pk for name in ("bob", "fiona", "frank", "leo")}


@pytest.mark.parametrize("username", ["alice", "fiona", "leo", "ivan"])
def test_requesters_and_approvers_see_nothing(demo, username):
    scope = metrics_scope(user=demo[username])
    assert not scope.allowed
    with pytest.raises(NotAllowed):
        ensure_can_see_metrics(scope=scope)


def test_an_owner_is_refused_another_owners_workflow(demo):
    with pytest.raises(NotAllowed):
        ensure_can_see_metrics(scope=metrics_scope(user=demo["olivia"]), workflow="someone-elses")


# Each panel's statements, the scope being known (a page reads it once per request).
PANEL_QUERIES = {
    "wip_panel": 1,  # open cases
    "aging_panel": 3,  # open cases, their versions, the calendar they name
    "approvals_panel": 2,  # open approvals, decided approvals
    "exceptions_panel": 1,  # step failures
    "cycle_time_panel": 1,  # closed cases (both cycle times are on the case since it closed)
    "rework_panel": 2,  # closed cases by returns (kept on the case), step failures
    "sla_panel": 2,  # clocks met and breached (one UNION ALL), escalations fired
    "metrics_summary": 7,
}


@pytest.mark.parametrize(("name", "queries"), sorted(PANEL_QUERIES.items()))
def test_each_panel_costs_a_fixed_number_of_queries(history, demo, django_assert_num_queries, name, queries):
    scope, chosen = metrics_scope(user=demo["oscar"]), metrics_filter(workflow=KEY)
    function = getattr(selectors, name)
    extra = {"now": NOW} if "now" in function.__code__.co_varnames else {}
    with django_assert_num_queries(queries):
        function(scope=scope, metrics_filter=chosen, **extra)


def test_the_filter_offers_the_workflows_one_sees_with_their_versions(history, demo):
    every = selectors.workflow_choices(scope=metrics_scope(user=demo["oscar"]))
    assert {"key": KEY, "name": "Metrics flow", "versions": [2, 1]} in every
    assert [w["key"] for w in selectors.workflow_choices(scope=metrics_scope(user=demo["carol"]))] == []
