"""Reads of the exception queue (automated steps an operator must repair), for the API.

Who may read follows who may repair (policy.py): operators, integrators and
administrators see the whole queue; the person a step is routed to sees that step.
"""

from django.db.models import QuerySet
from django.db.models.functions import Coalesce

from apps.cases import selectors as case_selectors
from apps.core.errors import NotAllowed

from . import selectors as queue_selectors
from .models import STEP_OPEN, StepRun, StepStatus
from .policy import user_can_repair_steps

MSG_QUEUE_NOT_ALLOWED = "Only operators, integrators and administrators see the exception queue."

# The `status` filter of the queue: which step statuses each value means.
QUEUE_STATUSES = {
    "exception": [StepStatus.EXCEPTION],
    "retrying": [StepStatus.RETRYING],
    "all-open": STEP_OPEN,
}


def _runs() -> QuerySet[StepRun]:
    return StepRun.objects.select_related("case", "assigned_to")


def step_run_queue(
    *, user, status: str = "exception", category: str = "", workflow: str = "", assigned_to: str = ""
) -> QuerySet[StepRun]:
    """The queue, longest waiting first: since the step failed, or started if it never did."""
    if not user_can_repair_steps(user=user):
        raise NotAllowed(MSG_QUEUE_NOT_ALLOWED)
    runs = _runs().filter(status__in=QUEUE_STATUSES[status])
    if category:
        runs = runs.filter(category=category)
    if workflow:
        runs = runs.filter(case__workflow_key=workflow)
    if assigned_to:
        runs = runs.filter(assigned_to__username=assigned_to)
    return runs.order_by(Coalesce("failed_at", "created"), "pk")


def step_run_get(*, user, run_id: int) -> StepRun:
    """One step with its attempts; who may read it is the portal's rule (selectors.step_run_get)."""
    run = queue_selectors.step_run_get(user=user, run_id=run_id)
    run.attempts_log = list(queue_selectors.step_run_attempts(run=run))
    return run


def step_run_reload(*, run_id: int) -> StepRun:
    """The step as a repair service left it, to answer the person who repaired it (who may no
    longer see it: routing it to someone else hands it over)."""
    return _runs().get(pk=run_id)


def step_runs_for_case(*, user, case_id: int) -> QuerySet[StepRun]:
    """A case's automated steps, in the order they started, for anyone who may see the case."""
    case = case_selectors.case_get_for_user(user=user, case_id=case_id)
    return _runs().filter(case=case).order_by("created", "pk")
