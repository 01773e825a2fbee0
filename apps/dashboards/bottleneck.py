"""The bottleneck view of one workflow: its own diagram, each step coloured by the time the cases
closed in the range spent there, the same numbers in a table, each linked to the cases behind it,
and the table as CSV. The numbers are apps.metrics' (`bottleneck_steps`); this lays them out.

/dashboards/<workflow>/bottlenecks/ (the page; its panel alone for htmx, as the workflow's
dashboard loads it), .../bottlenecks/cases/?ref=... (the cases behind a number),
/dashboards/<workflow>/bottlenecks.csv.
"""

import csv
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from apps.core.errors import NotAllowed, NotFound, ValidationFailed
from apps.definitions.accessors import spec_of
from apps.definitions.diagram import REWORK_ID, Mark, Overlay, approver_node_id, render_svg
from apps.definitions.selectors import definition_get, version_get, version_live
from apps.metrics.filters import filter_choices
from apps.metrics.policy import MSG_NOT_YOUR_WORKFLOW
from apps.metrics.selectors import bottleneck_steps, workflow_choices
from apps.portal.errors import portal_errors

from .exports import csv_rows
from .panels import Cell, Panel, Table, count_cell, hours_cell, share_cell
from .views import cases_page, dashboard_context

# Light to dark by p50 (a yellow-orange-red scale); the text is white on the two darkest.
SCALE = ["#fff3c4", "#fdd08a", "#f99a55", "#d9482b", "#8f1d10"]
INKS = ["#1d2433", "#1d2433", "#1d2433", "#ffffff", "#ffffff"]
NOT_PASSED = Mark(fill="#f1f2f5", label="no case passed", ink="#5b6477")
KIND_WORDS = {
    "approval": "approval stage",
    "approver": "approver",
    "http": "automated step",
    "wait": "waiting for another system",
    "rework": "back with the requester",
}
TIME_BASIS = (
    "Wall-clock hours a case spent at the step, summed over its visits (a returned case visits its stage "
    "again), of the cases closed in the range; p50 is the median, p90 the time 9 in 10 stayed within."
)
MSG_NO_DIAGRAM = "This workflow has no published version to draw; the table has the numbers."


def _level(p50, top) -> int:
    if p50 is None or not top:
        return 0
    return min(int(p50 / top * len(SCALE)), len(SCALE) - 1)


def _words(passage: dict) -> str:
    p50, p90 = (f"{passage[k]:,.1f} h" if passage[k] is not None else "—" for k in ("p50", "p90"))
    return f"{p50} / {p90}, {passage['share'] * 100:.0f} %"


def _legend(top) -> list[tuple[str, str]]:
    if not top:
        return []
    width = top / len(SCALE)
    return [(fill, f"{i * width:,.1f}–{(i + 1) * width:,.1f} h") for i, fill in enumerate(SCALE)]


def _rows_in_diagram_order(spec, steps: list[dict]) -> list[tuple[dict, str, str]]:
    """[(step, its name, its diagram node id or "")]: the drawn version's steps in their order, then
    rework, then steps only other versions have."""
    by_key = {(s["kind"], s["key"]): s for s in steps}
    ordered, seen = [], set()

    def take(kind, key, name, node_id):
        passage = by_key.get((kind, key)) or {
            "key": key,
            "kind": kind,
            "passed": 0,
            "share": 0.0,
            "p50": None,
            "p90": None,
            "case_ids": [],
        }
        ordered.append((passage, name, node_id))
        seen.add((kind, key))

    for stage in spec.stages if spec else ():
        if stage.is_step:
            take("wait" if stage.is_wait else "http", stage.key, stage.name, stage.key)
            continue
        take("approval", stage.key, f"{stage.name} (whole stage)", "")
        for index, approver in enumerate(stage.approvers):
            node = approver_node_id(stage.key, approver.key, index)
            take("approver", f"{stage.key}:{approver.key}", f"{stage.name}: {approver.label}", node)
    if spec is None or any(not s.is_step for s in spec.stages):
        take("rework", "rework", "Requester reworks", REWORK_ID)
    for passage in steps:
        if (passage["kind"], passage["key"]) not in seen:
            name = passage.get("name") or passage["key"].replace(":", ": ")
            ordered.append((passage, f"{name} (another version)", ""))
    return ordered


def bottleneck_panel(data: dict, *, version, link) -> Panel:
    """The panel: the diagram of `version` (None: no diagram) with the numbers painted on, a table."""
    spec = spec_of(version) if version is not None else None
    rows = _rows_in_diagram_order(spec, data["steps"])
    top = max((s["p50"] for s, _, _ in rows if s["p50"] is not None), default=None)
    table = Table(
        "steps",
        "Time at each step and the share of the closed cases that passed it",
        ["Step", "Kind", "Cases passed", "Share", "p50 (hours)", "p90 (hours)"],
    )
    overlay = Overlay(legend=_legend(top), legend_title="p50 at the step:")
    for passage, name, node_id in rows:
        ref, ids = f"{passage['kind']}:{passage['key']}", passage["case_ids"]
        table.rows.append(
            [
                Cell(value=name),
                Cell(value=KIND_WORDS[passage["kind"]]),
                count_cell(passage["passed"], ref, ids),
                share_cell(passage["share"], ref, ids, passage["passed"]),
                hours_cell(passage["p50"], ref, ids, passage["passed"]),
                hours_cell(passage["p90"], ref, ids, passage["passed"]),
            ]
        )
        if passage["passed"]:
            level = _level(passage["p50"], top)
            mark = Mark(
                fill=SCALE[level],
                label=_words(passage),
                ink=INKS[level],
                title=f"{passage['passed']} of {data['closed']} closed cases passed; p50 / p90 hours, share. "
                "Open the cases.",
                href=link(ref),
            )
        else:
            mark = NOT_PASSED
        if passage["kind"] == "approval":
            overlay.stages[passage["key"]] = Mark(
                fill=mark.fill, label=f"{name}: {mark.label}", title=mark.title, href=mark.href
            )
        elif node_id:
            overlay.nodes[node_id] = mark
    closed = Table("closed", "Cases closed in the range", ["Closed cases"])
    closed.rows.append([count_cell(data["closed"], "closed", data["case_ids"])])
    chart = None
    if version is not None:
        title = f"{version.definition.name}, version {version.number}: time at each step"
        chart = render_svg(version.spec, title=title, overlay=overlay)
    return Panel("bottlenecks", "Bottlenecks", TIME_BASIS, [closed, table], chart).linked(link)


def _version_drawn(workflow: str, number):
    """The version the filter names, else the newest published one; None when there is none."""
    try:
        if number:
            return version_get(definition=definition_get(key=workflow), ref=number)
        return version_live(key=workflow)
    except NotFound:
        return None


def _built(request, workflow: str):
    scope, checked, params = dashboard_context(request, workflow)
    if not scope.sees_workflow(workflow):  # a manager sees their reports' approvals, no workflow whole
        raise NotAllowed(MSG_NOT_YOUR_WORKFLOW.format(key=workflow))
    base = reverse("dashboards:bottleneck-cases", args=[workflow])

    def link(ref: str) -> str:
        return f"{base}?{urlencode({**params, 'ref': ref})}"

    version = _version_drawn(workflow, checked.version)
    data = bottleneck_steps(scope=scope, metrics_filter=checked)
    return bottleneck_panel(data, version=version, link=link), version, params, scope


@require_safe
@portal_errors
def bottleneck_page(request, workflow: str):
    try:
        panel, version, params, scope = _built(request, workflow)
    except ValidationFailed as invalid:
        context = {"errors": invalid.field_errors, "params": request.GET, "workflow": workflow}
        if not request.htmx:
            context["choices"] = filter_choices()
        template = "dashboards/_bottlenecks.html" if request.htmx else "dashboards/bottlenecks.html"
        return render(request, template, context, status=400)
    query = urlencode(params)
    context = {
        "embedded": bool(request.GET.get("embedded")),
        "workflow": workflow,
        "workflow_name": version.definition.name if version else workflow,
        "version": version,
        "panel": panel,
        "params": params,
        "query": f"?{query}" if query else "",
        "no_diagram": MSG_NO_DIAGRAM,
    }
    if request.htmx:
        return render(request, "dashboards/_bottlenecks.html", context)
    context["choices"] = filter_choices()
    context["versions"] = next((w["versions"] for w in workflow_choices(scope=scope) if w["key"] == workflow), [])
    return render(request, "dashboards/bottlenecks.html", context)


@require_safe
@portal_errors
def bottleneck_csv(request, workflow: str):
    panel, _, params, _ = _built(request, workflow)
    name = "-".join(
        part for part in ("dashboard", workflow, "bottlenecks", params.get("from"), params.get("to")) if part
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    csv.writer(response).writerows(csv_rows(panel))
    return response


@require_safe
@portal_errors
def bottleneck_cases(request, workflow: str):
    """The cases behind one number of the bottleneck view (a step: the cases that passed it),
    computed again for this person and filter, so nobody lists cases outside their scope."""
    panel, _, params, _ = _built(request, workflow)
    back = reverse("dashboards:bottlenecks", args=[workflow])
    ref = request.GET.get("ref", "")
    return cases_page(
        request, panel=panel, ref=ref, params=params, back=back, workflow=workflow, back_label="Bottlenecks"
    )
