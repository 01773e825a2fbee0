"""The schedules section of a workflow's page in the builder: list, add, edit, pause and resume.

Owners of that workflow and administrators only (apps.schedules decides, as for the API). One
fragment (`_schedules.html`) answers every htmx request; plain requests redirect to the page.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.core.errors import NotFound, ValidationFailed
from apps.definitions.accessors import spec_of
from apps.definitions.selectors import version_live
from apps.schedules import selectors, services
from apps.schedules.models import ScheduleKind
from apps.schedules.policy import ensure_can_manage, schedule_can_manage

from .views import _definition, builder_page

MSG_ADDED = "Schedule '{name}' added: its first run is due {due:%d %b %Y %H:%M} UTC."
MSG_SAVED = "Schedule '{name}' saved."
MSG_PAUSED = "Schedule '{name}' paused: nothing starts until it is resumed."
MSG_RESUMED = "Schedule '{name}' resumed: periods that fell due while it was paused are not started."
RUNS_SHOWN = 5
FORM_KEYS = ("name", "kind", "cron", "every_days", "due_within_hours", "requester")


def _fields(definition) -> list:
    try:
        return list(spec_of(version_live(key=definition.key)).fields)
    except NotFound:
        return []


def schedules_context(request, definition, *, form=None, errors=None, editing=None, flash="") -> dict:
    """What the schedules card shows (the workflow's page includes it; htmx swaps it)."""
    can_manage = schedule_can_manage(user=request.user, definition=definition)
    rows = []
    if can_manage:
        for schedule in selectors.schedules_of(definition=definition):
            runs = selectors.runs_recent(schedule=schedule, limit=RUNS_SHOWN)
            rows.append({"schedule": schedule, "runs": [(r, selectors.run_is_late(r)) for r in runs]})
    fields = _fields(definition)
    values = form or {}
    data = values.get("data") or {}
    return {
        "definition": definition,
        "can_manage_schedules": can_manage,
        "schedule_rows": rows,
        "schedule_form": values,
        "schedule_data": [{"field": f, "value": data.get(f.name, "")} for f in fields],
        "schedule_errors": errors or {},
        "schedule_editing": editing,
        "schedule_kinds": ScheduleKind.choices,
        "schedule_flash": flash,
        "schedule_open": bool(errors) or editing is not None,
    }


def _answer(request, definition, **context):
    status = 400 if context.get("errors") else 200
    if request.htmx:
        return render(
            request, "builder/_schedules.html", schedules_context(request, definition, **context), status=status
        )
    if context.get("errors"):
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in context["errors"].items()))
    elif context.get("flash"):
        messages.success(request, context["flash"])
    return redirect(reverse("builder:definition", kwargs={"key": definition.key}) + "#schedules")


def _posted(request, definition) -> dict:
    values = {key: request.POST.get(key, "").strip() for key in FORM_KEYS}
    values["data"] = {
        f.name: request.POST.get(f"data.{f.name}", "").strip()
        for f in _fields(definition)
        if request.POST.get(f"data.{f.name}", "").strip() != ""
    }
    return values


@builder_page
def schedules(request, key):
    """The card alone (htmx), optionally with one schedule's edit form open (?edit=ID)."""
    definition = _definition(key)
    ensure_can_manage(user=request.user, definition=definition)
    editing, form = None, None
    if request.GET.get("edit", "").isdigit():
        editing = selectors.schedule_get(schedule_id=int(request.GET["edit"]))
        if editing.definition_id != definition.pk:
            raise NotFound(selectors.MSG_UNKNOWN.format(id=editing.pk))
        form = {key: getattr(editing, key) for key in FORM_KEYS if key != "requester"}
        form.update(requester=editing.requester.get_username(), data=editing.data)
    if not request.htmx:
        return redirect(reverse("builder:definition", kwargs={"key": definition.key}) + "#schedules")
    return render(
        request, "builder/_schedules.html", schedules_context(request, definition, form=form, editing=editing)
    )


@builder_page
@require_POST
def schedule_save(request, key):
    """Add a schedule, or save one (`schedule` names it)."""
    definition = _definition(key)
    values = _posted(request, definition)
    schedule_id = request.POST.get("schedule", "")
    editing = selectors.schedule_get(schedule_id=int(schedule_id)) if schedule_id.isdigit() else None
    if editing is not None and editing.definition_id != definition.pk:
        raise NotFound(selectors.MSG_UNKNOWN.format(id=editing.pk))
    try:
        if editing is None:
            schedule = services.schedule_create(definition=definition, actor=request.user, **values)
            flash = MSG_ADDED.format(name=schedule.name, due=schedule.next_due_at)
        else:
            schedule = services.schedule_update(schedule=editing, actor=request.user, **values)
            flash = MSG_SAVED.format(name=schedule.name)
    except ValidationFailed as invalid:
        return _answer(request, definition, form=values, errors=invalid.field_errors, editing=editing)
    return _answer(request, definition, flash=flash)


@builder_page
@require_POST
def schedule_toggle(request, key, schedule_id):
    """Pause an active schedule, or resume a paused one."""
    definition = _definition(key)
    schedule = selectors.schedule_get(schedule_id=schedule_id)
    if schedule.definition_id != definition.pk:
        raise NotFound(selectors.MSG_UNKNOWN.format(id=schedule_id))
    schedule = services.schedule_update(schedule=schedule, actor=request.user, is_active=not schedule.is_active)
    return _answer(
        request, definition, flash=(MSG_RESUMED if schedule.is_active else MSG_PAUSED).format(name=schedule.name)
    )
