"""The production start with several processes (issue 13): two gunicorn web processes and two
qcluster workers on PostgreSQL and Redis, started by the Procfile's own commands, move every case
to its end exactly once and agree with the database, /health/ and /metrics included (bench/cluster.py
does the run and the checks;
this test runs it with 20 cases and checks that it leaves nothing behind)."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("Q2_REDIS_URL") or "redis://127.0.0.1:6379/0"
CASES = 20


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="several processes need PostgreSQL (SQLite is for one machine)",
    ),
]


def test_two_web_and_two_worker_processes_move_every_case_once_and_agree():
    if not _redis_answers():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis does not answer at {REDIS_URL}: CI starts it (.ci/run)")
        pytest.skip(f"Redis does not answer at {REDIS_URL}")
    env = {**os.environ, "Q2_REDIS_URL": REDIS_URL}
    run = subprocess.Popen(
        [sys.executable, "bench/cluster.py", "--cases", str(CASES), "--load-seconds", "45"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = run.communicate(timeout=150)
    except subprocess.TimeoutExpired:
        run.send_signal(signal.SIGTERM)  # the script stops what it started, then prints its summary
        out, err = run.communicate(timeout=60)
    summary = json.loads(out.strip().splitlines()[-1])
    assert run.returncode == 0, f"{summary['problems']}\n{err[-4000:]}"

    assert summary["cases"] == CASES
    assert (summary["approved"], summary["rejected"]) == (16, 4)  # every fifth is rejected
    assert summary["decisions"] == 16 * 2 + 4  # two approvals each; a rejection ends the case at once
    assert (summary["erp_bookings"], summary["erp_undone"]) == (10, 2)  # each invoice once; rejected ones undone
    assert summary["api"] == {"cases": CASES, "states": {"approved": 16, "rejected": 4}}
    assert len(summary["requests_per_web"]) == 2 and min(summary["requests_per_web"]) > 0
    assert summary["static_files"] > 0
    runs = summary["schedule_runs"]  # the every-minute sweeps ran; the weekly digest is not due yet
    assert runs and all(runs[name] >= 1 for name in ("sla-sweep", "step-retry", "notify-retry"))
    assert summary["health"] == "ok"  # /health/ on both: database, Redis, a worker's heartbeat, sweeps
    # /metrics on both: the business series equal the database, and each gunicorn's request
    # histogram sums its processes: exactly the API answers the client got from it.
    assert summary["prometheus"] == "agrees"
    assert summary["prometheus_api_requests"] == summary["requests_per_web"]

    for group in summary["process_groups"]:  # nothing left running
        with pytest.raises(ProcessLookupError):
            os.killpg(group, 0)
