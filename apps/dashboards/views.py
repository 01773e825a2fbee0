"""The dashboards: /dashboards/ across workflows, /dashboards/<workflow>/ for one (a stable URL),
each panel's CSV, and the cases behind any number. Who sees what: apps.metrics.policy."""

import csv
from urllib.parse import quote_plus, urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from apps.alerts.selectors import alerts_crossed
from apps.core.errors import NotAllowed, ValidationFailed
from apps.metrics.filters import filter_choices, metrics_filter
from apps.metrics.policy import MSG_NO_METRICS, ensure_can_see_metrics, metrics_scope
from apps.metrics.selectors import workflow_choices
from apps.portal.errors import map_service_errors, portal_errors

from .charts import chart_stylesheet
from .exports import csv_rows
from .panels import PANELS, panel_build, panel_keys
from .selectors import MAX_LISTED, cases_behind

MSG_UNKNOWN_PANEL = "There is no panel '{panel}'."
MSG_UNKNOWN_NUMBER = "This number is not on the panel any more; open the dashboard again."
MSG_NAME_A_NUMBER = "Name the number whose cases to list (ref), as the page links it."
MSG_NAME_A_PANEL = "Name a panel: " + ", ".join(PANELS) + "."
MSG_NO_SUCH_WORKFLOW = "No workflow has the key '{key}'."


def _filter_params(request, workflow: str) -> dict:
    """The filter as the page's links carry it (empty values left out)."""
    params = {
        "version": request.GET.get("version", "") if workflow else "",
        "from": request.GET.get("from", ""),
        "to": request.GET.get("to", ""),
        "team": request.GET.get("team", ""),
        "role": request.GET.get("role", ""),
    }
    return {name: value.strip() for name, value in params.items() if value and value.strip()}


def dashboard_context(request, workflow: str):
    """(scope, filter, params) for a dashboard request, permission checked first."""
    scope = metrics_scope(user=request.user)
    ensure_can_see_metrics(scope=scope, workflow=workflow)
    params = _filter_params(request, workflow)
    try:
        checked = metrics_filter(
            workflow=workflow,
            version=params.get("version"),
            date_from=params.get("from"),
            date_to=params.get("to"),
            team=params.get("team"),
            role=params.get("role"),
        )
    except ValidationFailed as invalid:
        if "workflow" in invalid.field_errors:  # the address names no workflow: nothing here
            raise Http404(MSG_NO_SUCH_WORKFLOW.format(key=workflow[:100])) from None
        raise
    return scope, checked, params


def _linker(workflow: str, params: dict, panel: str):
    """ref -> the drill-down URL of that number of `panel` under this filter. A dashboard links a
    few hundred numbers: everything but the ref is encoded once."""
    common = {"workflow": workflow, **params} if workflow else dict(params)
    prefix = f"{reverse('dashboards:cases')}?{urlencode({**common, 'panel': panel, 'ref': ''})}"

    def link(ref: str) -> str:
        return prefix + quote_plus(ref)

    return link


def _dashboard(request, workflow: str = ""):
    try:
        scope, checked, params = dashboard_context(request, workflow)
    except ValidationFailed as invalid:
        context = {"errors": invalid.field_errors, "params": request.GET, "workflow": workflow, "panels": []}
        if request.htmx:
            return render(request, "dashboards/_panels.html", context, status=400)
        context["choices"] = filter_choices()  # the teams and roles the filter form offers
        return render(request, "dashboards/dashboard.html", context, status=400)
    now = timezone.now()
    panels = [
        panel_build(key=key, scope=scope, metrics_filter=checked, link=_linker(workflow, params, key), now=now)
        for key in panel_keys(scope)
    ]
    workflows = workflow_choices(scope=scope)
    query = urlencode(params)
    context = {
        "workflow": workflow,
        "workflow_name": next((w["name"] for w in workflows if w["key"] == workflow), ""),
        "workflows": workflows,
        "versions": next((w["versions"] for w in workflows if w["key"] == workflow), []),
        "params": params,
        "query": f"?{query}" if query else "",
        "panels": panels,
        "scope": scope,
        "link": _linker(workflow, params, ""),
        # Thresholds crossed now, of the workflows shown whole (issue 13: "shows on the dashboard").
        "alerts": []
        if not (scope.sees_all or scope.workflows)
        else alerts_crossed(workflows=[workflow] if workflow else (None if scope.sees_all else scope.workflows)),
    }
    if request.htmx:  # the panels alone: the filter form stays on the page
        return render(request, "dashboards/_panels.html", context)
    context["choices"] = filter_choices()
    return render(request, "dashboards/dashboard.html", context)


@require_safe
@portal_errors
def dashboard_all(request):
    return _dashboard(request)


@require_safe
@portal_errors
def dashboard_workflow(request, workflow: str):
    return _dashboard(request, workflow)


def _panel_for(request, workflow: str, panel: str, *, named_in_query: bool = False, with_case_ids: bool = False):
    """The panel for this person and filter: who asks is checked first, then what they asked for."""
    scope, checked, params = dashboard_context(request, workflow)
    if panel not in PANELS:
        if named_in_query:
            raise ValidationFailed(MSG_NAME_A_PANEL, field_errors={"panel": [MSG_NAME_A_PANEL]})
        raise Http404(MSG_UNKNOWN_PANEL.format(panel=panel[:50]))
    if panel not in panel_keys(scope):
        raise NotAllowed(MSG_NO_METRICS)
    built = panel_build(
        key=panel,
        scope=scope,
        metrics_filter=checked,
        link=_linker(workflow, params, panel),
        with_case_ids=with_case_ids,
    )
    return built, params


@require_safe
@portal_errors
def panel_csv(request, panel: str, workflow: str = ""):
    built, params = _panel_for(request, workflow, panel)
    name = "-".join(part for part in ("dashboard", workflow, panel, params.get("from"), params.get("to")) if part)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    csv.writer(response).writerows(csv_rows(built))
    return response


@require_safe
@portal_errors
def case_list(request):
    """The cases behind one number of a panel: the panel is computed again for this person and
    filter, and the number found by its name (`ref`), so nobody lists cases outside their scope."""
    workflow = request.GET.get("workflow", "").strip()
    panel = request.GET.get("panel", "")
    ref = request.GET.get("ref", "")
    built, params = _panel_for(request, workflow, panel, named_in_query=True, with_case_ids=True)
    back = reverse("dashboards:workflow", args=[workflow]) if workflow else reverse("dashboards:all")
    return cases_page(request, panel=built, ref=ref, params=params, back=back, workflow=workflow)


def cases_page(request, *, panel, ref: str, params: dict, back: str, workflow: str, back_label: str = ""):
    """The page of the cases behind the number `ref` of `panel` (built for this person and filter),
    for the dashboards' drill-down and the bottleneck view's alike."""
    if not ref:
        raise ValidationFailed(MSG_NAME_A_NUMBER, field_errors={"ref": [MSG_NAME_A_NUMBER]})
    cell = panel.cell(ref)
    if cell is None:
        raise Http404(MSG_UNKNOWN_NUMBER)
    query = urlencode(params)
    context = {
        "panel": panel,
        "ref": ref,
        "cell": cell,
        "cases": cases_behind(user=request.user, case_ids=cell.case_ids),
        "more": max(len(cell.case_ids) - MAX_LISTED, 0),
        "back": f"{back}?{query}" if query else back,
        "back_label": back_label,
        "workflow": workflow,
        "params": params,
    }
    return render(request, "dashboards/cases.html", context)


@require_safe
@map_service_errors
def chart_css(request):
    """The charts' stylesheet (pygal's rules for our style), public like any static file."""
    response = HttpResponse(chart_stylesheet(), content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response
