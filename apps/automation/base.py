"""What every part of the step machinery shares: timings, the idempotency key, the step's spec,
and queueing an attempt after commit."""

from datetime import timedelta

from django_q.tasks import async_task

from apps.core.outbox import enqueue_after_commit
from apps.definitions.accessors import Call, Stage, spec_of
from apps.integrations.calls import RequestProblem

from .models import ExceptionCategory, StepKind, StepRun

STEP_TASK = "apps.automation.tasks.step_attempt"
# UI steps take seconds each: they run on a q2 cluster of their own (settings Q_CLUSTER
# ALT_CLUSTERS, a worker started with Q_CLUSTER_NAME=ui), never ahead of HTTP steps and sweeps.
UI_QUEUE = "ui"
# A queued step whose message got lost (broker down, worker killed before it started) is swept up after this.
PENDING_GRACE = timedelta(minutes=2)
# Beyond the call's own timeout, how long an attempt's lease lasts before the sweep retries it.
LEASE_GRACE = timedelta(seconds=30)

MSG_NO_SPEC = "The definition version has no step '{key}' any more; check the workflow."
MSG_NO_UNDO = "The step '{key}' has no undo call."


def step_key_for(*, case_id: int, step_key: str, revision: int, undo: bool = False) -> str:
    """The idempotency key of a step: the same for every attempt of one revision of the request."""
    return f"wms-{case_id}-{step_key}-{'undo-' if undo else ''}r{revision}"


def step_spec(case, step_key: str) -> Stage | None:
    """The step as the case's pinned version defines it; None when that version has no such step."""
    return spec_of(case.version).stage(step_key)


def enqueue(ids: list[int]) -> None:
    for run_id in ids:
        async_task(STEP_TASK, [run_id])


def enqueue_ui(ids: list[int]) -> None:
    for run_id in ids:
        async_task(STEP_TASK, [run_id], cluster=UI_QUEUE)


def queue_after_commit(ids: list[int], *, ui: bool = False) -> None:
    """Queue an attempt of each step once the transaction commits (never for a rolled-back one);
    `ui`: they are UI steps, for the ui queue.

    A lost message is harmless: the sweep queues the step after PENDING_GRACE."""
    enqueue_after_commit(enqueue_ui if ui else enqueue, ids)


def call_of(run: StepRun, stage: Stage) -> Call:
    """The request template of the run: the step's call, or its undo."""
    if run.kind == StepKind.UNDO:
        if stage.undo is None:
            raise RequestProblem(MSG_NO_UNDO.format(key=run.step_key), ExceptionCategory.CONFIGURATION)
        return stage.undo
    return stage.request
