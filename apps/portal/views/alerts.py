"""The alerts page: a workflow's thresholds, whether each is crossed, and the owners' form."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from apps.alerts.models import Metric
from apps.alerts.selectors import alert_rules_for, alert_workflows_seen
from apps.alerts.services import alert_rule_set
from apps.core.errors import ValidationFailed
from apps.definitions.selectors import definition_keys_owned, definitions_published

from ..errors import portal_errors

MSG_NOT_ALLOWED = "Alert thresholds are for workflow owners, operators, auditors and administrators."
MSG_SAVED = "Threshold saved: {rule}. It is checked every hour; the owners are told when it is crossed."


@portal_errors
def alert_list(request):
    user = request.user
    seen = alert_workflows_seen(user=user)
    if seen is not None and not seen:
        raise PermissionDenied(MSG_NOT_ALLOWED)
    published = sorted(v.definition.key for v in definitions_published())
    settable = published if user.is_superuser else sorted(set(published) & definition_keys_owned(user=user))
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("workflow", "metric", "threshold", "window_days")}
        try:
            rule = alert_rule_set(
                actor=user,
                workflow_key=values["workflow"],
                metric=values["metric"],
                threshold=values["threshold"],
                window_days=values["window_days"] or 30,
                active=request.POST.get("active") == "on",
            )
        except ValidationFailed as invalid:
            errors, status = invalid.field_errors, 400
        else:
            messages.success(request, MSG_SAVED.format(rule=rule))
            return redirect("alerts:list")
    context = {
        "rules": alert_rules_for(user=user),
        "settable": settable,
        "metrics": Metric.choices,
        "errors": errors,
        "values": values,
    }
    return render(request, "alerts/list.html", context, status=status)
