"""Who may do what with notifications. Everyone reads and marks their own; operators and
administrators look after e-mail deliveries that failed."""

from apps.org import roles
from apps.org.selectors import user_has_role


def user_can_manage_deliveries(*, user) -> bool:
    return bool(user and user.is_authenticated) and (
        user.is_superuser or user_has_role(user=user, role=roles.OPERATORS)
    )
