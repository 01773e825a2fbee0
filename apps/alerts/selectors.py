"""Reads of the alert thresholds: which a person may see and which are crossed now."""

from apps.metrics.policy import metrics_scope

from .models import AlertRule


def alert_workflows_seen(*, user) -> frozenset[str] | None:
    """The workflows whose thresholds a person sees: the ones whose metrics they see whole
    (apps.metrics.policy decides: None for all, else the workflows they own)."""
    return metrics_scope(user=user).workflows


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
