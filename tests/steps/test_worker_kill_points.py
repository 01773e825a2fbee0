"""A worker killed at any of four points of a step's attempt leaves one effect and a case that
recovers by itself.

A real `manage.py qcluster` (tests/steps/kill_point_cluster.py: the command, made to stop at one
point inside its worker; the production code has no hook) takes the step's queue message; the
test waits until the worker is at the point, then SIGKILLs the whole cluster:

1. before_call:  the lease is committed, nothing sent;
2. during_call:  the "ERP" has the request (and books it), the worker never hears the answer;
3. after_answer: the answer arrived and the case moved on inside the recording transaction,
                 which dies uncommitted;
4. after_commit: everything is committed, the q2 message is not acknowledged.

Then, five minutes later, what production does by itself: the every-minute sweep queues the step
whose lease ended, and q2 delivers the unacknowledged message again. For each point: the ERP (it
honours Idempotency-Key, like the demo ERP) booked once and saw only the step's key, the case
moved on once (the step's task done, one approval task open), the attempt history tells what
happened, and nothing was left half-written after the kill.

Both processes share the test database: a real database on PostgreSQL, a file on SQLite (see
wms.settings.test and tests/steps/test_worker_killed.py).
"""

import pydoc
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.signing import SignedPackage
from viewflow.workflow.status import STATUS

from apps.audit.models import Action, AuditEvent
from apps.automation.models import StepAttempt, StepRun, StepStatus
from apps.cases.flows import CaseFlow
from apps.cases.models import Case, CaseState

from .conftest import APPROVAL, TOKEN, erp_step
from .kill_point_cluster import POINTS
from .test_worker_killed import WAIT, Cluster, Receiver

pytestmark = pytest.mark.django_db(transaction=True)

STEP_TIMEOUT = 20  # the step's call timeout: a held call must not time out before the kill
SCRIPT = Path(__file__).with_name("kill_point_cluster.py")


class KillPointReceiver(Receiver):
    """The ERP of test_worker_killed (one invoice per Idempotency-Key), holding only the first
    request and only when the kill point is during the call."""

    def __init__(self, hold: bool):
        super().__init__()
        if not hold:
            self.release.set()


class KillPointCluster(Cluster):
    """`manage.py qcluster` stopping at `point`, in its own process group (Cluster.kill takes it)."""

    def __init__(self, log: Path, endpoint: str, point: str, marker: Path):
        super().__init__(log, endpoint)
        self.point, self.marker = point, marker

    def command(self) -> list[str]:
        return [sys.executable, str(SCRIPT), self.point, str(self.marker)]

    def wait_for_point(self, receiver: Receiver) -> None:
        reached = receiver.arrived if self.point == "during_call" else threading.Event()
        deadline = time.monotonic() + WAIT
        while not reached.is_set() and not self.marker.exists() and time.monotonic() < deadline:
            assert self.proc.poll() is None, f"qcluster stopped by itself:\n{self.output()}"
            reached.wait(timeout=0.05)
        assert reached.is_set() or self.marker.exists(), f"the worker never got to {self.point}:\n{self.output()}"


def _redeliver() -> int:
    """Deliver again what the broker still holds (what q2 does with an unacknowledged message
    once its `retry` time has passed), running each task as a q2 worker would. Returns how many."""
    broker = get_broker()
    delivered = 0
    while batch := broker.dequeue():
        for ack_id, payload in batch:
            task = SignedPackage.loads(payload)
            func = task["func"] if callable(task["func"]) else pydoc.locate(task["func"])
            func(*task.get("args", ()), **task.get("kwargs", {}))
            broker.acknowledge(ack_id)
            delivered += 1
    return delivered


def _tasks(case) -> dict[str, list[str]]:
    """The case's engine tasks by node name: their statuses."""
    tasks = {}
    for task in case.task_set.order_by("pk"):
        tasks.setdefault(task.flow_task.name, []).append(task.status)
    return tasks


def _assert_waiting_whole(case, run) -> None:
    """Killed before anything committed after the lease: the case waits on the step, nothing of
    the attempt's outcome is there."""
    case = Case.objects.get(pk=case.pk)
    assert case.state == CaseState.WAITING
    assert "erp_reference" not in case.data and "erp_check" not in (case.steps_done or [])
    # (the route decides in memory: it leaves no task of its own)
    assert _tasks(case) == {"start": [STATUS.DONE], "step": [STATUS.NEW]}
    run.refresh_from_db()
    assert (run.status, run.attempts) == (StepStatus.RUNNING, 1)
    assert run.lease_until > timezone.now()  # nobody retries it before its lease ends
    assert not StepAttempt.objects.filter(run=run).exists()
    assert not AuditEvent.objects.filter(case_id=case.pk, action=Action.STEP_SUCCEEDED).exists()


def _assert_moved_on_once(case, run, reference: str) -> None:
    case = Case.objects.get(pk=case.pk)
    assert case.state == CaseState.APPROVAL
    assert case.data["erp_reference"] == reference
    assert case.steps_done == ["erp_check"]
    tasks = _tasks(case)
    assert tasks["step"] == [STATUS.DONE]  # one step task, finished once
    assert tasks["approve"] == [STATUS.ASSIGNED]  # one approval task (bob's): the case advanced once
    assert case.task_set.filter(flow_task=CaseFlow.approve).get().owner.username == "bob"
    run.refresh_from_db()
    assert run.status == StepStatus.SUCCEEDED and run.output == {"erp_reference": reference}
    assert AuditEvent.objects.filter(case_id=case.pk, action=Action.STEP_SUCCEEDED).count() == 1


@pytest.fixture(params=POINTS)
def point(request):
    return request.param


@pytest.fixture
def receiver(erp_settings, point):
    receiver = KillPointReceiver(hold=point == "during_call")
    erp_settings.expect_request("/erp/invoices", method="POST").respond_with_handler(receiver)
    yield receiver
    receiver.release.set()


@pytest.fixture
def cluster(tmp_path, erp_settings, point):
    cluster = KillPointCluster(tmp_path / "qcluster.log", erp_settings.url_for("/erp"), point, tmp_path / "reached")
    try:
        yield cluster
    finally:
        if cluster.proc is not None and cluster.proc.poll() is None:
            cluster.kill()


def test_a_worker_killed_at_any_point_of_a_step_leaves_one_effect_and_a_recovering_case(
    point, monkeypatch, invoice_flow, start_invoice, receiver, cluster, sweep
):
    workflow = invoice_flow(erp_step(timeout_seconds=STEP_TIMEOUT), APPROVAL)
    cluster.start()
    monkeypatch.setattr(Conf, "SYNC", False)  # the step's message goes to the broker, for the cluster
    case = start_invoice(workflow=workflow)
    run = StepRun.objects.get(case=case, step_key="erp_check")
    key = run.idempotency_key

    cluster.wait_for_point(receiver)
    cluster.kill()
    receiver.release.set()

    # What the kill left: whole, never half of a transition.
    if point == "after_commit":
        _assert_moved_on_once(case, run, "ERP-0001")
        assert list(StepAttempt.objects.filter(run=run).values_list("number", "outcome")) == [(1, "succeeded")]
    else:
        _assert_waiting_whole(case, run)
    assert receiver.keys == ([] if point == "before_call" else [key])
    # The killed worker's message: taken, never acknowledged. Killed after the commit, the case's own
    # after-commit message (bob's e-mail, below) may have been taken too: the cluster's pusher polls
    # every 0.1 s and can fetch it between the commit and the kill (more often on a loaded machine).
    taken = get_broker().lock_size()
    assert taken == 1 or (point == "after_commit" and taken == 2), taken
    assert sweep(at=timezone.now()) == 0  # the lease still runs, or the step is done

    # Five minutes later: the sweep retries a step whose lease ended (inline, as q2 would run
    # it), then q2 delivers the killed worker's message again.
    monkeypatch.setattr(Conf, "SYNC", True)
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=True):
        assert sweep(at=timezone.now()) == (0 if point == "after_commit" else 1)
        # Killed after the commit, the case had moved on: its queue message (the e-mail telling
        # bob his approval waits) committed with it and is delivered too.
        assert _redeliver() == (2 if point == "after_commit" else 1)
        assert sweep(at=timezone.now()) == 0  # nothing left to retry
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]  # told once, whatever the kill point

    history = list(StepAttempt.objects.filter(run=run).order_by("pk").values_list("number", "outcome"))
    assert history == ([(1, "succeeded")] if point == "after_commit" else [(1, "lost"), (2, "succeeded")])
    if point != "after_commit":
        assert StepAttempt.objects.get(run=run, number=1).request["headers"]["Idempotency-Key"] == key

    # The ERP booked once, and was only ever asked with the step's one key.
    assert list(receiver.invoices) == [key]
    assert set(receiver.keys) == {key}
    assert len(receiver.keys) == (1 if point in ("before_call", "after_commit") else 2)
    assert {auth for _, auth in receiver.requests} == {f"Bearer {TOKEN}"}
    _assert_moved_on_once(case, run, receiver.invoices[key]["reference"])
    assert get_broker().queue_size() == get_broker().lock_size() == 0


def test_the_database_going_away_while_an_answer_is_recorded_is_retried_not_filed_as_an_exception(
    monkeypatch, invoice_flow, start_invoice, erp_settings, sweep
):
    """Found by bench/chaos.py: a connection to the database lost while the worker records the
    ERP's answer rolled the recording back, and the step was then parked in the exception queue
    as a *configuration* error (on a new connection), waiting for an operator. A lost connection
    says nothing about the workflow: the lease ends and the sweep tries again, with the same key."""
    from django.db import OperationalError

    from apps.cases import services as engine

    receiver = KillPointReceiver(hold=False)
    erp_settings.expect_request("/erp/invoices", method="POST").respond_with_handler(receiver)
    step_done = engine.step_done
    outages = [OperationalError("terminating connection due to administrator command")]

    def step_done_once_without_database(**kwargs):
        if outages:
            raise outages.pop()
        step_done(**kwargs)

    monkeypatch.setattr(engine, "step_done", step_done_once_without_database)
    start_invoice(workflow=invoice_flow(erp_step(timeout_seconds=STEP_TIMEOUT), APPROVAL))  # q2 logs the failure

    run = StepRun.objects.get(step_key="erp_check")
    _assert_waiting_whole(run.case, run)
    assert run.category == "" and run.failed_at is None  # not in the exception queue

    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=True):
        assert sweep(at=timezone.now()) == 1
    history = list(StepAttempt.objects.filter(run=run).order_by("pk").values_list("number", "outcome"))
    assert history == [(1, "lost"), (2, "succeeded")]
    assert list(receiver.invoices) == [run.idempotency_key] and len(receiver.keys) == 2
    _assert_moved_on_once(run.case, run, "ERP-0001")


def test_a_step_whose_queue_message_cannot_be_sent_is_swept_up_and_the_start_still_succeeds(
    monkeypatch, invoice_flow, start_invoice, erp_settings, sweep
):
    """The broker (or the database behind the ORM broker) is away at the moment a step is queued
    after commit: the case has started all the same (no error from a committed transaction), and
    the sweep queues the step once its message is overdue."""
    from apps.automation import base

    receiver = KillPointReceiver(hold=False)
    erp_settings.expect_request("/erp/invoices", method="POST").respond_with_handler(receiver)

    def broker_away(ids):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(base, "enqueue", broker_away)
    case = start_invoice(workflow=invoice_flow(erp_step(timeout_seconds=STEP_TIMEOUT), APPROVAL))
    run = StepRun.objects.get(case=case, step_key="erp_check")
    assert (run.status, run.attempts) == (StepStatus.PENDING, 0) and receiver.keys == []

    monkeypatch.undo()
    assert sweep(at=timezone.now()) == 0  # not overdue yet
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=True):
        assert sweep(at=timezone.now()) == 1
    assert receiver.keys == [run.idempotency_key]
    _assert_moved_on_once(case, run, "ERP-0001")
