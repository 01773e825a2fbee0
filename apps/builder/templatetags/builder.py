from django import template

from apps.definitions.policy import user_is_builder

register = template.Library()


@register.filter
def is_builder(user) -> bool:
    """Show the builder's navigation to workflow owners and admins only."""
    return bool(user and user.is_authenticated and user_is_builder(user=user))
