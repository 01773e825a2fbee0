import json

from django import template

register = template.Library()


@register.filter
def pretty_json(value) -> str:
    """A payload as people read it (the template escapes it)."""
    return json.dumps(value, indent=2, ensure_ascii=False)
