"""The one way templates show a time: `{{ task.created|moment }}` is "3 Dec 2026 14:05 CET",
`|moment:"short"` "3 Dec 14:05 CET" (table rows), `|moment:"seconds"` "3 Dec 14:05:09 CET" (logs of
calls and attempts), `|day` "3 Dec 2026". In the active zone (the person's), always labelled.
A builtin library (settings.TEMPLATES): no `{% load %}` needed."""

from django import template

from apps.core.moments import day_text, moment_text
from apps.sla import selectors_due

register = template.Library()


@register.filter
def moment(value, style="long"):
    return moment_text(value, style=style)


@register.filter
def day(value):
    return day_text(value)


@register.filter
def due_basis(clock, style=""):
    """How an SLA due time counts: `{{ clock|due_basis }}` "48 business hours, Head office
    calendar", `|due_basis:"short"` "48 business hours"; or "48 wall-clock hours"."""
    return selectors_due.due_basis(clock, short=style == "short")
