"""django-q2 entry points for automated steps: load by id, call the service.

Messages queued and schedules saved before the steps left apps.integrations name
"apps.integrations.tasks.step_attempt" and "...steps_due": AutomationConfig.ready() registers
these functions there too (integrations.tasks.task_moved), so they still run.
"""

from apps.core.heartbeats import STEP_SWEEP, heartbeat_beat

from .services import step_attempt as _step_attempt
from .services import step_retry_due


def step_attempt(ids: list[int]) -> None:
    for run_id in ids:
        _step_attempt(run_id=run_id)


def steps_due() -> int:
    queued = step_retry_due()
    heartbeat_beat(name=STEP_SWEEP)  # a sweep that raised leaves the beat old: /health/ says so
    return queued
