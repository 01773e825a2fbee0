"""Who sees the operations pages: operators and administrators."""

from apps.org import roles
from apps.org.selectors import user_has_role

MSG_NOT_OPERATOR = "Only operators and administrators see the system's health."


def user_can_see_operations(*, user) -> bool:
    return user.is_superuser or user_has_role(user=user, role=roles.OPERATORS)
