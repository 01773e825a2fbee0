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


def due_basis(clock, *, short: bool = False) -> str:
    """What a due time counts, in words: "48 business hours, Head office calendar" (short: "48
    business hours") or "48 wall-clock hours". Business hours skip nights, weekends and holidays of
    the calendar; wall-clock hours do not."""
    if clock is None:
        return ""
    hours = f"{float(clock.target_hours):g}"
    unit = "hour" if hours == "1" else "hours"
    if not clock.business_hours:
        return f"{hours} wall-clock {unit}"
    text = f"{hours} business {unit}"
    if clock.calendar_name and not short:
        text += f", {clock.calendar_name} calendar"
    return text
