from django import template

register = template.Library()

KIND_BADGES = {
    "escalation": "bad",
    "auto_closed": "muted",
    "reminder": "warn",
    "returned": "warn",
    "reroute": "warn",
    "decision": "ok",
}


@register.filter
def kind_badge(kind):
    return KIND_BADGES.get(str(kind), "info")
