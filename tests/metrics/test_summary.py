"""The API's headline numbers on the constructed history (tests/metrics/conftest.py)."""

from datetime import date

from apps.metrics.filters import metrics_filter
from apps.metrics.policy import metrics_scope
from apps.metrics.selectors import metrics_summary, percentile

from .conftest import KEY, NOW


def summary(user, **query):
    return metrics_summary(scope=metrics_scope(user=user), metrics_filter=metrics_filter(**query), now=NOW)


def test_percentiles_interpolate_between_ranks_like_percentile_cont():
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([1, 2, 3, 48], 0.9) == 34.5
    assert percentile([7], 0.9) == 7
    assert percentile([], 0.5) is None


def test_every_number_of_the_history(history, demo):
    numbers = summary(demo["oscar"], workflow=KEY)

    assert numbers["wip"] == {"open": 1, "by_stage": {"review": 1}}  # D; the open test case T2 is not counted
    # Closed: F 1 h, A 2 h, C 3 h, B 48 h (T1 is a test case).
    assert numbers["cycle_time_hours"] == {"p50": 2.5, "p90": 34.5, "count": 4}
    assert numbers["outcomes"] == {"approved": 2, "rejected": 1, "withdrawn": 1}
    # Decided approvals: A 2 h, C 3 h, B's second 23 h, B's first (returned) 24 h; F's was cancelled.
    assert numbers["approval_latency_hours"] == {"review": {"p50": 13.0, "p90": 23.7}}
    assert numbers["rework_rate"] == 0.25  # B of the four closed
    assert numbers["started"] == 5 and numbers["closed"] == 4
    assert numbers["exception_rate"] == 0.0
    # Met: A, F (cancelled in time), C. Breached: B's first (marked by the sweep), B's second
    # (decided after its due moment; no sweep saw it). D's clock is still running in time.
    assert numbers["sla"] == {"met": 3, "breached": 2}
    assert numbers["pending_approvals"] == [{"owner": "bob", "role": None, "count": 1, "oldest_hours": 2.0}]
    assert numbers["exceptions"] == []


def test_a_date_range_counts_started_closed_and_decided_cases_by_their_own_moments(history, demo):
    tuesday = summary(demo["oscar"], workflow=KEY, date_from="2026-11-03", date_to="2026-11-03")

    assert tuesday["started"] == 1  # C (D started on Wednesday, A, B, F on Monday)
    assert tuesday["cycle_time_hours"] == {"p50": 3.0, "p90": 3.0, "count": 1}  # only C closed on Tuesday
    assert tuesday["outcomes"] == {"approved": 1}
    assert tuesday["approval_latency_hours"] == {"review": {"p50": 13.5, "p90": 21.9}}  # B's first 24, C 3
    assert tuesday["sla"] == {"met": 1, "breached": 1}  # C met; B's second fell due on Tuesday
    assert tuesday["wip"]["open"] == 1, "work in progress is now, whatever the range"


def test_per_version_the_numbers_of_its_cases_only(history, demo):
    assert summary(demo["oscar"], workflow=KEY, version=1)["cycle_time_hours"] == {"p50": 2.0, "p90": 38.8, "count": 3}
    assert summary(demo["oscar"], workflow=KEY, version=2)["cycle_time_hours"] == {"p50": 3.0, "p90": 3.0, "count": 1}


def test_test_cases_are_never_counted(history, demo):
    numbers = summary(demo["admin"], workflow=KEY)
    assert numbers["started"] == 5 and numbers["wip"]["open"] == 1
    assert all(group["owner"] != "olivia" for group in numbers["pending_approvals"])


def test_the_filter_dates_are_whole_days_in_the_installations_zone(settings):
    chosen = metrics_filter(date_from="2026-11-02", date_to="2026-11-08")
    assert chosen.date_from == date(2026, 11, 2)
    assert (chosen.moment_to - chosen.moment_from).days == 7
