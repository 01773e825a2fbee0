"""/health/ against a real `manage.py qcluster`: its schedules write the heartbeats, /health/ is
200; the cluster is killed, and two minutes later /health/ is 503 naming the worker."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from apps.automation.schedules import ensure_schedules as ensure_step_schedules
from apps.core.heartbeats import SLA_SWEEP, STEP_SWEEP, WORKER, heartbeat_times
from apps.ops.schedules import ensure_schedules
from apps.sla.schedules import ensure_schedules as ensure_sla_schedules
from tests.steps.test_worker_killed import WAIT, cluster  # noqa: F401 - the real qcluster fixture

pytestmark = pytest.mark.django_db(transaction=True)


def test_health_turns_503_when_the_worker_stops(cluster):  # noqa: F811
    ensure_schedules()
    ensure_sla_schedules()
    ensure_step_schedules()
    cluster.clear_schedules = False
    cluster.guard_cycle = 30  # q2 looks for due schedules in its first guard round, not 30 s later
    cluster.start()
    deadline = time.monotonic() + 3 * WAIT
    while set(heartbeat_times()) != {WORKER, SLA_SWEEP, STEP_SWEEP} and time.monotonic() < deadline:
        time.sleep(0.5)
    assert set(heartbeat_times()) == {WORKER, SLA_SWEEP, STEP_SWEEP}, cluster.output()
    assert Client().get("/health/").status_code == 200

    cluster.kill()
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        response = Client().get("/health/")
    assert response.status_code == 503
    failing = [name for name, check in response.json()["checks"].items() if check["status"] != "ok"]
    assert failing == ["worker"]  # the sweeps may be 5 minutes old
