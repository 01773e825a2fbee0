"""A worker killed in the middle of a step leaves the case recoverable.

A real `manage.py qcluster` (its own process group, q2 not inline) picks up the step's attempt and
calls the "ERP"; while the ERP holds the call, the test kills the whole cluster with SIGKILL. The
step stays RUNNING until its lease ends; the retry sweep then queues it again, the next attempt
logs the lost one and calls with the same Idempotency-Key, and the ERP, which honours the key,
answers with what it stored the first time: one invoice, and the case moves on with its reference.

Both processes must see one database: on PostgreSQL the test database is a real database; on
SQLite wms.settings.test gives the test database a file instead of memory.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_q.conf import Conf
from werkzeug import Request, Response

from apps.automation.models import StepAttempt, StepRun, StepStatus
from apps.cases.models import Case, CaseState

from .conftest import APPROVAL, TOKEN, erp_step

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 30  # seconds: the most any wait in this test may take
STEP_TIMEOUT = 20  # the step's own call timeout: the held call must not time out before the kill


class Receiver:
    """An ERP that honours Idempotency-Key (one invoice per key; a repeated key gets the stored
    answer) and holds the first request until the test releases it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []  # (Idempotency-Key, Authorization) of every request, in order
        self.invoices = {}  # key -> the answer stored with the one effect of that key
        self.arrived = threading.Event()
        self.release = threading.Event()

    def __call__(self, request: Request) -> Response:
        key = request.headers.get("Idempotency-Key", "")
        with self.lock:
            self.requests.append((key, request.headers.get("Authorization", "")))
            first = len(self.requests) == 1
            status = 200
            if key not in self.invoices:
                self.invoices[key] = {"reference": f"ERP-{len(self.invoices) + 1:04d}", "key": key}
                status = 201
            answer = self.invoices[key]
        if first:
            self.arrived.set()
            self.release.wait(timeout=WAIT)  # the caller is dead by then: nobody reads this answer
        return Response(json.dumps(answer), status=status, content_type="application/json")

    @property
    def keys(self) -> list[str]:
        with self.lock:
            return [key for key, _ in self.requests]


@pytest.fixture
def receiver(erp_settings):
    receiver = Receiver()
    erp_settings.expect_request("/erp/invoices", method="POST").respond_with_handler(receiver)
    yield receiver
    receiver.release.set()  # never leave the server thread waiting


def _database_url() -> str:
    """The test database, as a DATABASE_URL another process can open."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        assert Path(name).is_file(), f"the SQLite test database must be a file to share it, not {name!r}"
        return f"sqlite:///{name}"
    assert connection.vendor == "postgresql", connection.vendor
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{quote(db['NAME'], safe='')}"


def _group_alive(pgid: int) -> list[int]:
    """Processes of the group that are not dead yet (zombies count as dead)."""
    alive = []
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else []:
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # state ppid pgrp ...
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            alive.append(int(entry.name))
    return alive


class Cluster:
    """`manage.py qcluster` against the test database, in its own process group."""

    clear_schedules = True  # a test about the schedules themselves sets it False
    guard_cycle = 0.5  # q2's default; 30 makes its first guard round run the due schedules at once

    def __init__(self, log: Path, endpoint: str):
        self.log_path = log
        self.endpoint = endpoint
        self.proc = None

    def command(self) -> list[str]:
        return [sys.executable, "manage.py", "qcluster"]

    def start(self) -> None:
        # The tests drive the sweeps themselves (the `sweep` fixture); the schedules declared at
        # migrate time (SLA sweep, step retry, heartbeat, alerts) would otherwise be due at once and
        # the one worker could take one of them too, next to the step's message under test.
        from django_q.models import Schedule

        if self.clear_schedules:
            Schedule.objects.all().delete()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "wms.settings.test",
            "WMS_Q2_SYNC": "0",
            "Q2_WORKERS": "1",
            "DATABASE_URL": _database_url(),
            "WMS_ENDPOINT_ERP": self.endpoint,
            "WMS_SECRET_ERP_TOKEN": TOKEN,
            "PYTHONUNBUFFERED": "1",
            "WMS_Q2_GUARD_CYCLE": str(self.guard_cycle),
        }
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.command(),
                cwd=settings.BASE_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the kill takes every q2 process
            )

    def kill(self) -> None:
        """SIGKILL the whole cluster (master, sentinel, pusher, worker, monitor) and wait until it is gone."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=WAIT)
        assert self.proc.returncode == -signal.SIGKILL, f"qcluster had stopped by itself:\n{self.output()}"
        deadline = time.monotonic() + WAIT
        while (left := _group_alive(self.proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not left, f"q2 processes {left} survived SIGKILL"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


@pytest.fixture
def cluster(tmp_path, erp_settings):
    cluster = Cluster(tmp_path / "qcluster.log", erp_settings.url_for("/erp"))
    try:
        yield cluster
    finally:
        if cluster.proc is not None and cluster.proc.poll() is None:
            cluster.kill()


def test_a_worker_killed_mid_call_is_retried_and_the_receiver_sees_one_effect(
    monkeypatch, invoice_flow, start_invoice, receiver, cluster, sweep
):
    workflow = invoice_flow(erp_step(timeout_seconds=STEP_TIMEOUT), APPROVAL)
    cluster.start()

    # Start the case in this process; its step goes to the broker (not inline) for the cluster.
    monkeypatch.setattr(Conf, "SYNC", False)
    case = start_invoice(workflow=workflow)
    run = StepRun.objects.get(case=case, step_key="erp_check")
    assert run.idempotency_key == f"wms-{case.pk}-erp_check-r1"

    assert receiver.arrived.wait(timeout=WAIT), f"the cluster never called the ERP; its output:\n{cluster.output()}"
    cluster.kill()  # mid-call: the ERP has made the invoice, the worker never hears back
    receiver.release.set()

    run.refresh_from_db()
    assert (run.status, run.attempts) == (StepStatus.RUNNING, 1)
    assert run.lease_until > timezone.now()  # its lease still runs: nobody retries it yet
    assert not StepAttempt.objects.filter(run=run).exists()
    assert Case.objects.get(pk=case.pk).state == CaseState.WAITING
    assert sweep(at=timezone.now()) == 0

    # Five minutes later (this process only; the lease has ended), the every-minute sweep queues
    # the step again and, q2 inline again, its next attempt recovers it.
    monkeypatch.setattr(Conf, "SYNC", True)
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=True):
        assert sweep(at=timezone.now()) == 1

    run.refresh_from_db()
    assert (run.status, run.attempts) == (StepStatus.SUCCEEDED, 2)
    attempts = list(StepAttempt.objects.filter(run=run).order_by("pk").values_list("number", "outcome"))
    assert attempts == [(1, "lost"), (2, "succeeded")]

    assert receiver.keys == [run.idempotency_key, run.idempotency_key]
    assert {auth for _, auth in receiver.requests} == {f"Bearer {TOKEN}"}
    assert list(receiver.invoices) == [run.idempotency_key]  # one effect for the key

    case = Case.objects.get(pk=case.pk)
    assert case.state == CaseState.APPROVAL
    assert case.data["erp_reference"] == receiver.invoices[run.idempotency_key]["reference"] == "ERP-0001"
