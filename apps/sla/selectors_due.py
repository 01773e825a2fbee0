"""Due times as people see them: on a task, on a case."""

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from apps.definitions.accessors import spec_of

from .clocks import is_breached, next_escalation
from .models import ClockKind, ClockResult, SlaClock


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


# The whole-case SLA as its requester reads it: on time, overdue, met, breached, paused.
ON_TIME, OVERDUE, MET, BREACHED, PAUSED = "on time", "overdue", "met", "breached", "paused"


def case_sla_of(clock, *, at=None) -> dict | None:
    """{due, state, basis, clock} of a whole-case clock (None without one). A running clock is
    "on time" or "overdue"; a paused one (the case waits on its requester) "paused"; a settled
    one (the case closed) "met" or "breached"."""
    if clock is None:
        return None
    if clock.result:
        state = BREACHED if clock.result == ClockResult.BREACHED else MET
    elif clock.paused_at is not None:
        state = PAUSED
    else:
        state = OVERDUE if is_breached(clock, at=at or timezone.now()) else ON_TIME
    return {"due": clock.due, "state": state, "basis": due_basis(clock, short=True), "clock": clock}


def case_slas(*, case_ids) -> dict[int, dict]:
    """The whole-case SLA of each case, by case id (one query; cases without one are left out)."""
    now = timezone.now()
    clocks = SlaClock.objects.filter(case_id__in=list(case_ids), kind=ClockKind.CASE)
    return {clock.case_id: case_sla_of(clock, at=now) for clock in clocks}


def case_sla(*, case) -> dict | None:
    """The whole-case SLA of one case (see `case_sla_of`). NOTE: no query for a workflow version
    without a whole-case SLA; one for those with it."""
    if spec_of(case.version).sla(ClockKind.CASE) is None:
        return None
    return case_sla_of(SlaClock.objects.filter(case=case, kind=ClockKind.CASE).first())
