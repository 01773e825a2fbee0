"""Due times as people see them: on a task, on a case."""

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from .clocks import is_breached, next_escalation


def clock_of(task):
    """The task's SLA clock when it was select_related (no query otherwise)."""
    try:
        return task.sla_clock
    except ObjectDoesNotExist:  # the task has no SLA
        return None


def task_due_info(task) -> dict:
    clock = clock_of(task)
    if clock is None:
        return {"due": None, "breached": False, "next_escalation": None}
    upcoming = next_escalation(clock)
    return {
        "due": clock.due.isoformat() if clock.due else None,
        "breached": is_breached(clock, at=timezone.now())
        if str(task.status) in {"NEW", "ASSIGNED"}
        else bool(clock.breached_at),
        "next_escalation": {"action": upcoming["action"], "at": upcoming["at"]} if upcoming else None,
    }
