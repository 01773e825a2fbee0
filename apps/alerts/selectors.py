"""Reads of the alert thresholds: which a person may see and which are crossed now."""

from apps.definitions.selectors import definition_keys_owned
from apps.org import roles
from apps.org.selectors import user_has_role

from .models import AlertRule


def alert_workflows_seen(*, user) -> set[str] | None:
    """The workflows whose thresholds a person sees: None for all (administrators, operators,
    auditors), else the ones they own."""
    if user.is_superuser or any(user_has_role(user=user, role=r) for r in (roles.OPERATORS, roles.AUDITORS)):
        return None
    return definition_keys_owned(user=user)


def alert_rules_for(*, user) -> list[AlertRule]:
    seen = alert_workflows_seen(user=user)
    rules = AlertRule.objects.all() if seen is None else AlertRule.objects.filter(workflow_key__in=seen)
    return list(rules.select_related("changed_by"))


def alerts_crossed(*, workflows=None) -> list[AlertRule]:
    """Active thresholds crossed now (of `workflows`, or of all), longest crossed first."""
    rules = AlertRule.objects.filter(active=True, crossed_at__isnull=False)
    if workflows is not None:
        rules = rules.filter(workflow_key__in=list(workflows))
    return list(rules.order_by("crossed_at", "pk"))
