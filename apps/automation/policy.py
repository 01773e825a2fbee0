"""Who may repair automated steps, and which cases that lets them read and write. Registered
with the engine's case policy in AutomationConfig.ready()."""

from django.db.models import Exists, OuterRef, Q

from apps.integrations.policy import user_can_watch_deliveries
from apps.org import roles

from .models import StepRun


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
