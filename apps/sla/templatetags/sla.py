from django import template

from apps.sla.calendar import weekday_names

register = template.Library()


@register.filter
def weekdays(days) -> str:
    """[0, 1, 2, 3, 4] -> 'Mon–Fri'."""
    return weekday_names(days or [])
