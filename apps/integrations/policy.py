"""Who may do what with webhooks. Integrators and administrators manage subscriptions;
operators (and they) watch deliveries and send dead ones again."""

from apps.org import roles
from apps.org.selectors import user_has_role

INTEGRATORS = "integrators"


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def user_can_manage_webhooks(*, user) -> bool:
    return _signed_in(user) and (user.is_superuser or user_has_role(user=user, role=INTEGRATORS))


def user_can_watch_deliveries(*, user) -> bool:
    return user_can_manage_webhooks(user=user) or (_signed_in(user) and user_has_role(user=user, role=roles.OPERATORS))
