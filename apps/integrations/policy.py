"""Who may do what with webhooks. Integrators and administrators manage subscriptions;
operators (and they) watch deliveries and send dead ones again."""

from django.db.models import Exists, OuterRef, Q

from apps.org import roles
from apps.org.selectors import user_has_role

from .models import StepRun

INTEGRATORS = "integrators"


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def user_can_manage_webhooks(*, user) -> bool:
    return _signed_in(user) and (user.is_superuser or user_has_role(user=user, role=INTEGRATORS))


def user_can_watch_deliveries(*, user) -> bool:
    return user_can_manage_webhooks(user=user) or (_signed_in(user) and user_has_role(user=user, role=roles.OPERATORS))


def user_can_repair_steps(*, user) -> bool:
    """Operators work the exception queue; integrators and administrators may too."""
    return user_can_watch_deliveries(user=user)


def steps_case_reader(*, user, role_names) -> Q:
    """Cases a user reads for the automated steps: operators read every case that has steps
    (they repair them); anyone else the cases whose step exception was routed to them."""
    steps = StepRun.objects.filter(case_id=OuterRef("pk"))
    return Q(Exists(steps if roles.OPERATORS in role_names else steps.filter(assigned_to_id=user.pk)))


def steps_case_writer(*, user, case) -> bool:
    """Whoever repairs a case's automated steps may comment on it and attach documents."""
    steps = StepRun.objects.filter(case_id=case.pk)
    if not user_can_repair_steps(user=user):
        steps = steps.filter(assigned_to_id=user.pk)
    return steps.exists()
