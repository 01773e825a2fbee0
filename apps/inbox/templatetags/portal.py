from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from apps.core.moments import moment_text
from apps.core.numbers import number
from apps.inbox.presenters import DECISION

register = template.Library()

STATUS_BADGES = {
    "approved": "ok",
    "rejected": "bad",
    "withdrawn": "muted",
    "auto_closed": "muted",
    "approval": "info",
    "rework": "warn",
    "routing": "info",
    "waiting": "info",
    "exception": "bad",
    "cancelled": "muted",
    "failed": "bad",
}


@register.filter
def amount(value):
    return number(value) if value not in (None, "") else "—"


UNDER_A_MINUTE = "less than a minute"


@register.filter
def age(moment):
    """'3 hours' since a moment, for inbox rows; under a minute (or a moment a little ahead of this
    server's clock) 'less than a minute', never '0 minutes' (pages write "{{ x|age }} ago")."""
    if not moment:
        return "—"
    if (timezone.now() - moment).total_seconds() < 60:
        return UNDER_A_MINUTE
    return timesince(moment, timezone.now()).split(",")[0]


@register.filter
def decided(decision):
    """A decision as a done row reads it: 'approve' -> 'Approved'."""
    return DECISION.get(str(decision or ""), str(decision or "").replace("_", " ").capitalize())


@register.filter
def badge(value):
    return STATUS_BADGES.get(str(value), "info")


@register.filter
def label(value):
    """snake_case keys in words; names people wrote ("Validate in ERP") keep their capitals."""
    text = str(value or "").replace("_", " ")
    return text[:1].upper() + text[1:]


@register.simple_tag
def case_status(case):
    if case.outcome:
        return case.get_outcome_display()
    return case.get_state_display()


@register.filter
def overdue(clock) -> bool:
    """An open SLA clock past its due time."""
    return bool(clock and clock.due and not clock.stopped_at and clock.due <= timezone.now())


@register.filter
def next_level(clock):
    """The next SLA level of a clock, as "escalate on 3 Dec 09:00 CET", or ""."""
    from apps.sla.clocks import next_escalation

    upcoming = next_escalation(clock) if clock else None
    if not upcoming:
        return ""
    action = {"breach": "due", "auto_close": "auto-close"}.get(upcoming["action"], upcoming["action"])
    return f"{action} on {moment_text(upcoming['at'], style='short')}"
