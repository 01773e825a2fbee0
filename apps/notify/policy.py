"""Who may do what with notifications. Everyone reads and marks their own; operators and
administrators look after e-mail deliveries that failed.

And who may read a case because of what they were told: whoever a notification asked to act on
a case (a task given to them, an escalation, a reroute, a reminder, an exception routed to them)
can open that case, as the notification's link promises. Registered with the engine's case
visibility (apps.cases.policy.case_readers_add) in NotifyConfig.ready()."""

from django.db.models import Exists, OuterRef, Q

from apps.org import roles
from apps.org.selectors import user_has_role

from .models import Kind, Notification

ASKED_TO_ACT = [Kind.TASK_ASSIGNED, Kind.REMINDER, Kind.ESCALATION, Kind.REROUTE, Kind.EXCEPTION]


def user_can_manage_deliveries(*, user) -> bool:
    return bool(user and user.is_authenticated) and (
        user.is_superuser or user_has_role(user=user, role=roles.OPERATORS)
    )


def asked_to_act_reader(*, user, role_names) -> Q:
    told = Notification.objects.filter(user_id=user.pk, case_id=OuterRef("pk"), kind__in=ASKED_TO_ACT)
    return Q(Exists(told))
