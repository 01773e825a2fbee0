"""The dashboards' panels on the constructed history (tests/metrics/conftest.py): each number and
the cases behind it."""

import pytest

from apps.metrics.filters import metrics_filter
from apps.metrics.policy import metrics_scope
from apps.metrics.selectors import (
    aging_panel,
    approvals_panel,
    cycle_time_panel,
    exceptions_panel,
    rework_panel,
    sla_panel,
    wip_panel,
)
from apps.sla.sweeper import sla_sweep

from .conftest import KEY, NOW, at, both


def args(user, **query):
    return {"scope": metrics_scope(user=user), "metrics_filter": metrics_filter(workflow=KEY, **query)}


def test_work_in_progress_by_stage_and_by_whom_it_waits_on(history, demo):
    d = history["D"].pk
    assert both(wip_panel, **args(demo["oscar"])) == {
        "open": 1,
        "by_stage": [{"stage": "review", "count": 1, "case_ids": [d]}],
        "by_waiting_on": [{"waiting_on": "person", "count": 1, "case_ids": [d]}],
    }


def test_aging_counts_business_hours_on_the_workflows_calendar(history, demo):
    aging = both(aging_panel, **args(demo["oscar"]), now=NOW)
    # D started Wed 08:00 UTC (09:00 Berlin): 2 business hours at Wed 10:00 UTC.
    assert aging["oldest"] == [
        {"case_id": history["D"].pk, "workflow": KEY, "stage": "review", "business_hours": 2.0, "hours": 2.0}
    ]
    assert [(b["bucket"], b["count"]) for b in aging["buckets"]][:2] == [("under 1 day", 1), ("1-3 days", 0)]

    # Over a weekend: Monday 10:00 UTC is 8 business hours later + 1 (Wed 9-17, Thu, Fri, Mon 09-11 Berlin).
    later = both(aging_panel, **args(demo["oscar"]), now=at(9, 10))
    assert later["oldest"][0]["business_hours"] == 26.0 and later["oldest"][0]["hours"] == 122.0
    assert [b["bucket"] for b in later["buckets"] if b["count"]] == ["3-5 days"]


def test_approvals_by_person_and_the_latency_per_stage(history, demo):
    panel = both(approvals_panel, **args(demo["oscar"]), now=NOW)
    assert panel["by_person"] == [{"owner": "bob", "count": 1, "oldest_hours": 2.0, "case_ids": [history["D"].pk]}]
    assert panel["by_role"] == []
    (review,) = panel["latency"]
    assert (review["stage"], review["p50"], review["p90"], review["count"]) == ("review", 13.0, 23.7, 4)
    assert review["case_ids"] == sorted([history["A"].pk, history["B"].pk, history["C"].pk])


def test_cycle_time_per_version_per_outcome_per_week_and_in_business_hours(history, demo):
    panel = both(cycle_time_panel, **args(demo["oscar"]))
    a, b, c, f = (history[name].pk for name in "ABCF")
    overall = panel["overall"]
    assert (overall["p50"], overall["p90"], overall["count"]) == (2.5, 34.5, 4)
    # Business hours: F 1, A 2, C 3, B 16 (Mon 09-17 and Tue 09-17 Berlin; rejected Wed 09:00).
    assert (overall["business_p50"], overall["business_p90"]) == (2.5, 12.1)
    assert [(v["version"], v["p50"], v["count"], v["case_ids"]) for v in panel["by_version"]] == [
        (1, 2.0, 3, sorted([a, b, f])),
        (2, 3.0, 1, [c]),
    ]
    assert [(o["outcome"], o["count"]) for o in panel["by_outcome"]] == [
        ("approved", 2),
        ("rejected", 1),
        ("withdrawn", 1),
    ]
    assert [(w["week"], w["count"]) for w in panel["by_week"]] == [("2026-11-02", 4)]


def test_rework_returns_per_case(history, demo):
    panel = both(rework_panel, **args(demo["oscar"]))
    a, b, c, f = (history[name].pk for name in "ABCF")
    assert panel["closed"] == 4 and panel["rate"] == 0.25
    assert panel["returned"] == {"count": 1, "case_ids": [b]}
    assert panel["returns_per_case"] == [
        {"returns": 0, "count": 3, "case_ids": sorted([a, c, f])},
        {"returns": 1, "count": 1, "case_ids": [b]},
    ]
    assert panel["repairs_by_step"] == []


def test_sla_met_and_breached_by_stage_and_the_escalations_fired(history, demo):
    panel = both(sla_panel, **args(demo["oscar"]), now=NOW)
    a, b, c, f = (history[name].pk for name in "ABCF")
    assert (panel["met"], panel["breached"]) == (3, 2)
    assert panel["by_stage"] == [
        # The cases behind "met" are those with a clock met (B's two clocks both breached).
        {"stage": "review", "met": 3, "breached": 2, "case_ids": sorted([a, c, f]), "breached_case_ids": [b]}
    ]
    assert panel["escalations"] == [{"level": 1, "action": "remind", "count": 1, "case_ids": [b]}]


def test_no_exceptions_in_a_history_without_automated_steps(history, demo):
    assert both(exceptions_panel, **args(demo["oscar"])) == {"by_category": [], "by_week": [], "recurring": []}


def test_escalations_count_when_they_fall_due_also_on_clocks_still_running_in_time(history, demo):
    sla_sweep(at=NOW)  # D's reminder (2 business hours after Wed 09:00 Berlin) fires; D is not late
    panel = both(sla_panel, **args(demo["oscar"]), now=NOW)
    assert panel["escalations"] == [
        {"level": 1, "action": "remind", "count": 2, "case_ids": sorted([history["B"].pk, history["D"].pk])}
    ]
    assert (panel["met"], panel["breached"]) == (3, 2)

    wednesday = both(sla_panel, **args(demo["oscar"], date_from="2026-11-04", date_to="2026-11-04"), now=NOW)
    assert wednesday["escalations"] == [{"level": 1, "action": "remind", "count": 1, "case_ids": [history["D"].pk]}]
    assert (wednesday["met"], wednesday["breached"]) == (0, 0)  # B's second fell due on Tuesday


def test_postgresql_unpacks_the_fired_levels_as_python_does(history, demo):
    """On PostgreSQL the escalations are read from the clocks' levels by the database; the same
    clocks read in Python give the same (case, level number, action) list, with and without a
    date range."""
    from django.db import connection

    from apps.cases.models import Case
    from apps.sla.models import SlaClock
    from apps.sla.selectors import _escalations_in_database, _escalations_in_python

    if connection.vendor != "postgresql":
        pytest.skip("the database's reading of the levels is PostgreSQL's")
    sla_sweep(at=NOW)
    clocks = SlaClock.objects.filter(next_level__gt=0, case__in=Case.objects.values("pk")).order_by()
    assert len(_escalations_in_python(clocks, None, None)) == 2  # B's reminder and D's
    tuesday, wednesday = at(3, 0), at(4, 0)  # B's reminder fell due on Monday, D's on Wednesday
    for moments in [(None, None), (tuesday, None), (None, wednesday), (tuesday, wednesday)]:
        assert sorted(_escalations_in_database(clocks, *moments)) == sorted(_escalations_in_python(clocks, *moments))
