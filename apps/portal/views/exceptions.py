"""Portal pages: the exception queue of automated steps, and repairing one failed step.

Every action goes through the step services (apps.integrations.steps), which check the
permission again, so a form posted by hand cannot do more than the page offers.
"""

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from apps.automation import selectors
from apps.automation import services as steps
from apps.automation.models import ExceptionCategory
from apps.core.errors import Busy, Conflict, ValidationFailed
from apps.core.jsonsafe import json_loads_limited
from apps.definitions.accessors import spec_of

from ..errors import portal_errors
from ..forms import CaseDataForm
from ..pages import paginate

MSG_RETRIED = "{step} of request #{case} is being tried again."
MSG_RETRIED_EDITED = "{fields} corrected; {step} of request #{case} is being tried again with the new data."
MSG_RETRIED_VERSION = "{step} of request #{case} is being tried again with version {version}'s script."
MSG_VERSION_NUMBER = "Give the number of the version whose script to use."
MSG_SKIPPED = "{step} of request #{case} skipped: the case goes on without it."
MSG_ASSIGNED = "{step} of request #{case} routed to {username}."
MSG_CANCELLED = "Request #{case} cancelled."
MSG_CANCELLED_UNDO = "Request #{case} cancelled; undoing: {steps}."


def short_age(moment, now=None) -> str:
    """How long ago, in the unit an operator reads at a glance: '12 min', '3 h', '2 d'."""
    if moment is None:
        return "—"
    minutes = max(0, int(((now or timezone.now()) - moment).total_seconds() // 60))
    if minutes < 1:
        return "< 1 min"  # never "0 min ago"
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


def _url(params: dict, **changes) -> str:
    """The queue's URL with these filters changed (empty values dropped); any page is reset."""
    return "?" + urlencode({k: v for k, v in {**params, **changes}.items() if v})


@portal_errors
def queue(request):
    tab = request.GET.get("tab", "exceptions")
    tab = tab if tab in selectors.TABS else "exceptions"
    category = request.GET.get("category", "")
    category = category if category in ExceptionCategory.values else ""
    workflow, mine = request.GET.get("workflow", ""), request.GET.get("mine") == "1"
    filters = {"tab": tab, "category": category, "workflow": workflow, "mine": "1" if mine else ""}

    page = paginate(
        request,
        selectors.exception_queue(user=request.user, tab=tab, category=category, workflow=workflow, mine=mine),
    )
    counts = selectors.exception_counts(user=request.user, workflow=workflow, mine=mine)
    recurring = selectors.recurring_groups()
    now = timezone.now()
    by_category = {card["category"]: card for card in counts[tab]["categories"]}
    for card in by_category.values():
        card["age"] = short_age(card["oldest"], now)
        card["url"] = _url(filters, category="" if card["category"] == category else card["category"])
    groups = []
    for run in page.object_list:
        run.age = short_age(run.since, now)
        run.recurring = (run.case.workflow_key, run.step_key, run.category) in recurring
        if not groups or groups[-1]["category"] != run.category:
            card = by_category.get(run.category, {})
            groups.append(
                {
                    "category": run.category,
                    "label": card.get("label", run.category),
                    "count": card.get("count"),
                    "runs": [],
                }
            )
        groups[-1]["runs"].append(run)
    context = {
        "tab": tab,
        "tabs": [
            {"key": key, "name": name, "count": counts[key]["total"], "url": _url(filters, tab=key, category="")}
            for key, name in selectors.TABS.items()
        ],
        "category": category,
        "category_label": ExceptionCategory(category).label if category else "",
        "categories": ExceptionCategory.choices,
        "workflow": workflow,
        "mine": mine,
        "all_url": _url(filters, category=""),
        "cards": list(by_category.values()),
        "workflows": selectors.queue_workflows(user=request.user),
        "page": page,
        "groups": groups,
        "query": _url(filters)[1:],
    }
    fragment = request.htmx and request.htmx.target == "exception-queue"
    template = "integrations/exceptions/_queue.html" if fragment else "integrations/exceptions/queue.html"
    return render(request, template, context)


def _pretty(value) -> str:
    """Indented JSON for <pre>; a JSON text inside (a response body) is unpacked so it reads as JSON too."""
    if not value:
        return ""
    if isinstance(value, dict) and isinstance(value.get("body"), str):
        try:
            value = {**value, "body": json_loads_limited(value["body"])}
        except ValueError:
            pass
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)


def _detail(request, run, *, form=None, errors=None, values=None, status=200):
    """The detail page; after a refused action, with the errors next to the fields and what was typed."""
    case = run.case
    fields = spec_of(case.version).fields
    can_act = selectors.user_may_repair(user=request.user, run=run)
    context = {
        "run": run,
        "case": case,
        "fields": [
            {"label": f.label, "value": f.shown((case.data or {}).get(f.name)), "name": f.name, "type": f.type}
            for f in fields
        ],
        "attempts": list(selectors.step_run_attempts(run=run)),
        "request_json": _pretty(run.last_request),
        "response_json": _pretty(run.last_response),
        "age": short_age(run.failed_at or run.created),
        "can_act": can_act,
        "can_cancel": can_act and run.kind != "undo" and case.is_open,
        "form": form or CaseDataForm(initial=case.data, fields=fields),
        "errors": errors or {},
        "values": values or {},
        "users": selectors.assignable_users(run=run) if can_act else [],
        "undone": selectors.step_runs_undone_on_cancel(run=run) if can_act else [],
        "uncertain": steps.uncertain_calls(case=case) if can_act and case.is_open else [],
        "ui": selectors.step_run_ui(run=run, repairer=can_act),
    }
    return render(request, "integrations/exceptions/detail.html", context, status=status)


def _go(request, url):
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _back(request, run):
    return _go(request, reverse("exceptions:detail", args=[run.pk]))


@portal_errors
def detail(request, run_id):
    return _detail(request, selectors.step_run_get(user=request.user, run_id=run_id))


def _changed(values: dict, data: dict) -> dict:
    """Only the fields the operator changed: an untouched form must not count as a correction."""
    data = data or {}

    def before(name, value):
        stored = data.get(name)
        if isinstance(value, bool):  # a checkbox: compare truth, not text
            return bool(stored)
        return "" if stored is None else str(stored)

    return {name: value for name, value in values.items() if before(name, value) != value}


@portal_errors
@require_POST
def retry(request, run_id):
    run = selectors.step_run_get(user=request.user, run_id=run_id)
    note = request.POST.get("note", "")
    form, data = None, None
    if request.POST.get("edit"):
        form = CaseDataForm(request.POST, fields=spec_of(run.case.version).fields)
        data = _changed(form.values(), run.case.data)
    try:
        run = steps.step_retry(run_id=run.pk, actor=request.user, data=data or None, note=note)
    except ValidationFailed as invalid:
        if form is None:
            messages.error(request, invalid.message)
            return _back(request, run)
        form.put_errors(invalid.field_errors or {None: [invalid.message]})
        return _detail(request, run, form=form, values={"edit": {"note": note}}, errors={"edit": True}, status=400)
    except (Conflict, Busy) as conflict:
        messages.warning(request, conflict.message)
        return _back(request, run)
    labels = spec_of(run.case.version).field_labels()
    if data:
        fields = ", ".join(labels.get(name, name) for name in data)
        messages.success(request, MSG_RETRIED_EDITED.format(fields=fields, step=run.step_name, case=run.case_id))
    else:
        messages.success(request, MSG_RETRIED.format(step=run.step_name, case=run.case_id))
    return _back(request, run)


@portal_errors
@require_POST
def retry_version(request, run_id):
    """Retry a UI step with the latest published version's script (the page-change repair)."""
    run = selectors.step_run_get(user=request.user, run_id=run_id)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        raise ValidationFailed(MSG_VERSION_NUMBER, field_errors={"version": [MSG_VERSION_NUMBER]}) from None
    note = request.POST.get("note", "")
    try:
        run = steps.step_retry_version(run_id=run.pk, actor=request.user, version=version, note=note)
    except (Conflict, Busy) as conflict:
        messages.warning(request, conflict.message)
        return _back(request, run)
    messages.success(request, MSG_RETRIED_VERSION.format(step=run.step_name, case=run.case_id, version=version))
    return _back(request, run)


def _repair(request, run, *, form: str, values: dict, action):
    """Run one repair `action()`: returns (the updated run, None), or (None, the page to show):
    the form again with its errors (400) when the input is refused, or the step's page with a
    warning when the step moved on meanwhile or the case is busy."""
    try:
        return action(), None
    except ValidationFailed as invalid:
        page = _detail(request, run, errors={form: invalid.field_errors}, values={form: values}, status=400)
        return None, page
    except (Conflict, Busy) as conflict:
        messages.warning(request, conflict.message)
        return None, _back(request, run)


@portal_errors
@require_POST
def skip(request, run_id):
    run = selectors.step_run_get(user=request.user, run_id=run_id)
    reason = request.POST.get("reason", "")
    done, page = _repair(
        request,
        run,
        form="skip",
        values={"reason": reason},
        action=lambda: steps.step_skip(run_id=run.pk, actor=request.user, reason=reason),
    )
    if page is not None:
        return page
    messages.success(request, MSG_SKIPPED.format(step=done.step_name, case=done.case_id))
    return _back(request, done)


@portal_errors
@require_POST
def assign(request, run_id):
    run = selectors.step_run_get(user=request.user, run_id=run_id)
    username, note = request.POST.get("username", ""), request.POST.get("note", "")
    done, page = _repair(
        request,
        run,
        form="assign",
        values={"username": username, "note": note},
        action=lambda: steps.step_assign(run_id=run.pk, actor=request.user, username=username, note=note),
    )
    if page is not None:
        return page
    messages.success(request, MSG_ASSIGNED.format(step=done.step_name, case=done.case_id, username=username))
    return _back(request, done)


@portal_errors
@require_POST
def cancel(request, run_id):
    run = selectors.step_run_get(user=request.user, run_id=run_id)
    reason, uncertain = request.POST.get("reason", ""), request.POST.get("uncertain", "")
    undone = [r.step_name for r in selectors.step_runs_undone_on_cancel(run=run)]
    if uncertain == steps.UNCERTAIN_UNDO:
        undone += [r.step_name for r in steps.uncertain_calls(case=run.case)]
    done, page = _repair(
        request,
        run,
        form="cancel",
        values={"reason": reason, "uncertain": uncertain},
        action=lambda: steps.step_cancel_case(run_id=run.pk, actor=request.user, reason=reason, uncertain=uncertain),
    )
    if page is not None:
        return page
    run = done
    if undone:
        messages.success(request, MSG_CANCELLED_UNDO.format(case=run.case_id, steps=", ".join(undone)))
    else:
        messages.success(request, MSG_CANCELLED.format(case=run.case_id))
    return _go(request, reverse("exceptions:queue"))
