"""The operators' health page: the checks of /health/ plus the last hour's throughput and
failures, for operators and administrators only (the matrix in tests/security covers every role)."""

from datetime import UTC, datetime, timedelta

import time_machine

from apps.cases.services import task_complete
from tests.conftest import task_for

NOON = datetime(2027, 3, 3, 12, 0, tzinfo=UTC)


def test_operators_see_the_checks_and_the_last_hour(signed_in, demo, start_purchase, all_beating):
    with time_machine.travel(NOON - timedelta(hours=3), tick=False):
        start_purchase()  # before the hour: not counted
    with time_machine.travel(NOON - timedelta(minutes=20), tick=False):
        case = start_purchase()
        task_complete(task_id=task_for(case, "Manager approval").pk, actor=demo["bob"], decision="reject", reason="No")
    with time_machine.travel(NOON, tick=False):
        all_beating()
        client = signed_in("oscar")
        client.get("/health/")
        response = client.get("/ops/health/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "all fine" in page
    assert response.context["throughput"] == {"started": 1, "closed": 1, "tasks_completed": 1}
    assert response.context["step_failures"] == 0
    assert response.context["requests"]["requests"] >= 1  # /health/ just now, at least (the histogram is per process)
    assert "Latency p95" in page
    assert 'href="/ops/health/"' in page  # the navigation links it


def test_a_failing_check_shows_with_its_reason(signed_in, db, demo):
    page = signed_in("admin").get("/ops/health/").content.decode()
    assert "failing" in page and "no worker heartbeat has run yet" in page


def test_others_are_refused_and_not_offered_the_link(signed_in, all_beating):
    client = signed_in("fiona")
    assert client.get("/ops/health/").status_code == 403
    assert 'href="/ops/health/"' not in client.get("/inbox/").content.decode()


def test_the_latency_percentiles_are_read_from_the_buckets_as_prometheus_does():
    from apps.ops.metrics import _quantile

    # 10 requests: 5 within 0.1 s, 4 more within 0.5 s, 1 within 1 s
    assert _quantile([0.1, 0.5, 1.0, float("inf")], [5, 9, 10, 10], 10, 0.5) == 0.1
    assert _quantile([0.1, 0.5, 1.0, float("inf")], [5, 9, 10, 10], 10, 0.95) == 0.75
    assert _quantile([0.1], [0], 0, 0.5) is None
