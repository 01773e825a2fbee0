"""Reads about recurring workflows: which schedules are due, which a person may see, their runs."""

from django.db.models import Q
from django.utils import timezone

from apps.core.errors import NotFound
from apps.definitions.selectors import definitions_owned_query

from .models import ScheduleRun, WorkflowSchedule

MSG_UNKNOWN = "No schedule {id}."
RECENT_RUNS = 10


def schedules_due(*, at=None):
    """Active schedules whose next period has begun (indexed on next_due_at)."""
    moment = at or timezone.now()
    return (
        WorkflowSchedule.objects.filter(is_active=True, next_due_at__lte=moment)
        .select_related("definition", "requester")
        .order_by("next_due_at", "pk")
    )


def schedules_for_user(*, user, workflow: str = ""):
    """The schedules of the workflows `user` owns (every schedule, for administrators)."""
    queryset = WorkflowSchedule.objects.select_related("definition", "requester")
    if not user.is_superuser:
        queryset = queryset.filter(definition__in=definitions_owned_query(user=user))
    if workflow:
        queryset = queryset.filter(definition__key=workflow)
    return queryset.order_by("definition__key", "name", "pk")


def schedules_of(*, definition) -> list[WorkflowSchedule]:
    return list(
        WorkflowSchedule.objects.filter(definition=definition).select_related("requester").order_by("name", "pk")
    )


def schedule_get(*, schedule_id) -> WorkflowSchedule:
    found = WorkflowSchedule.objects.select_related("definition", "requester").filter(pk=schedule_id).first()
    if found is None:
        raise NotFound(MSG_UNKNOWN.format(id=schedule_id))
    return found


def runs_recent(*, schedule, limit: int = RECENT_RUNS) -> list[ScheduleRun]:
    return list(schedule.runs.select_related("case").order_by("-due_at", "-pk")[:limit])


def run_is_late(run: ScheduleRun, *, now=None) -> bool:
    """Late: started after its period began (a missed period), or still open past its due time."""
    if run.started_late:
        return True
    case = run.case
    return case is not None and case.is_open and (now or timezone.now()) > run.due_by


CASE_KEY_PREFIX = "schedule-"


def run_case_key(*, schedule_id: int, period_key: str) -> str:
    """The idempotency key of the case a schedule starts for a period."""
    return f"{CASE_KEY_PREFIX}{schedule_id}-{period_key}"


def run_for_case(*, case) -> ScheduleRun | None:
    """The schedule run that started `case`, if a schedule started it (no query for other cases)."""
    if not (case.idempotency_key or "").startswith(CASE_KEY_PREFIX):
        return None
    return ScheduleRun.objects.select_related("schedule").filter(case_id=case.pk).first()


def runs_late(*, schedule=None, now=None):
    """Runs that are late now (started late, or open past their due time)."""
    moment = now or timezone.now()
    queryset = ScheduleRun.objects.filter(case__isnull=False).filter(
        Q(started_late=True) | Q(due_by__lt=moment, case__finished__isnull=True)
    )
    return queryset.filter(schedule=schedule) if schedule is not None else queryset
