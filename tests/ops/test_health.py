"""/health/: 200 and "ok" while the database, the broker, a worker and both sweeps are fine; 503
naming the failing check otherwise, with a short reason that gives nothing away."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import OperationalError, connections
from django.test import Client

from apps.automation.tasks import steps_due
from apps.core.heartbeats import SLA_SWEEP, STEP_SWEEP, WORKER, heartbeat_beat, heartbeat_times
from apps.ops import checks
from apps.ops.tasks import heartbeat
from apps.sla.tasks import sweep

NOON = datetime(2027, 3, 3, 12, 0, tzinfo=UTC)
CHECKS = {"database", "broker", "worker", "sla_sweep", "step_sweep"}


def get_health():
    response = Client().get("/health/")
    return response, response.json()


def test_all_fine_is_200_ok_without_signing_in(all_beating):
    response, body = get_health()
    assert response.status_code == 200
    assert body == {"status": "ok", "checks": {name: {"status": "ok"} for name in CHECKS}}
    assert "no-cache" in response["Cache-Control"]


def test_the_jobs_themselves_write_the_heartbeats(db):
    with time_machine.travel(NOON, tick=False):
        heartbeat()
        sweep()
        steps_due()
    assert heartbeat_times() == {WORKER: NOON, SLA_SWEEP: NOON, STEP_SWEEP: NOON}
    with time_machine.travel(NOON + timedelta(seconds=30), tick=False):
        assert get_health()[0].status_code == 200


def test_a_worker_silent_for_over_two_minutes_is_503_naming_the_worker(all_beating):
    with time_machine.travel(NOON, tick=False):
        all_beating()
    with time_machine.travel(NOON + timedelta(seconds=119), tick=False):
        heartbeat_beat(name=SLA_SWEEP)
        heartbeat_beat(name=STEP_SWEEP)
        assert get_health()[0].status_code == 200
    with time_machine.travel(NOON + timedelta(seconds=150), tick=False):
        heartbeat_beat(name=SLA_SWEEP)
        heartbeat_beat(name=STEP_SWEEP)
        response, body = get_health()
    assert response.status_code == 503
    assert body["status"] == "failing"
    assert body["checks"]["worker"] == {
        "status": "failing",
        "reason": "the last worker heartbeat ran 150 s ago (limit 120 s)",
    }
    assert [name for name, check in body["checks"].items() if check["status"] != "ok"] == ["worker"]


def test_no_heartbeat_ever_is_503(db):
    response, body = get_health()
    assert response.status_code == 503
    assert body["checks"]["worker"]["reason"] == "no worker heartbeat has run yet"
    assert body["checks"]["sla_sweep"]["reason"] == "no SLA sweep has run yet"


def test_a_stale_sweep_is_503_naming_it(all_beating):
    with time_machine.travel(NOON, tick=False):
        all_beating()
    with time_machine.travel(NOON + timedelta(minutes=6), tick=False):
        heartbeat_beat(name=WORKER)
        heartbeat_beat(name=SLA_SWEEP)
        response, body = get_health()
    assert response.status_code == 503
    failing = {name for name, check in body["checks"].items() if check["status"] != "ok"}
    assert failing == {"step_sweep"}


def test_an_unreachable_database_is_503_naming_it_and_not_the_server(all_beating, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError('connection to server at "10.1.2.3", port 5432 failed: password authentication')

    monkeypatch.setattr(connections["default"], "temporary_connection", refuse)
    response, body = get_health()
    assert response.status_code == 503
    assert body["checks"]["database"] == {"status": "failing", "reason": checks.MSG_DATABASE}
    assert "10.1.2.3" not in response.content.decode() and "password" not in response.content.decode()


@pytest.mark.parametrize("answer", ["raises", "false"])
def test_an_unreachable_broker_is_503_naming_it(all_beating, monkeypatch, answer):
    import redis

    class DeadBroker:
        def ping(self):
            if answer == "raises":
                raise redis.ConnectionError("Error 111 connecting to redis.internal:6379")
            return False

    monkeypatch.setattr("apps.ops.queue.get_broker", DeadBroker)
    response, body = get_health()
    assert response.status_code == 503
    assert body["checks"]["broker"] == {"status": "failing", "reason": checks.MSG_BROKER}
    assert "redis.internal" not in response.content.decode()


def test_only_get_and_head(all_beating):
    assert Client().post("/health/").status_code == 405
    assert Client().head("/health/").status_code == 200
