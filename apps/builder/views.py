"""The workflow builder: workflow owners and admins create, edit, try and publish definitions.

One function view per page; each returns the whole page, or its fragment for htmx requests.
Every write goes through apps.definitions.services, which check the same policy these views
use to show or hide actions.
"""

import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect, retarget

from apps.cases.services import case_start_test
from apps.core.errors import Conflict, NotFound, ValidationFailed
from apps.definitions import selectors, services
from apps.definitions.accessors import spec_of
from apps.definitions.bpmn import render_bpmn
from apps.definitions.diagram import render_svg
from apps.definitions.diff import diff_count, spec_diff
from apps.definitions.editing import SECTIONS, row_values
from apps.definitions.editor_rows import dom_id, editor_blocks, form_inputs, ui_script_blocks
from apps.definitions.importexport import definition_export, definition_import, export_parse
from apps.definitions.library import LIBRARY
from apps.definitions.policy import ensure_builder, ensure_can_edit_definition, user_can_edit_definition
from apps.definitions.sop import sop_build, sop_markdown
from apps.definitions.texts import TEXT_KEYS, TEXT_LABELS, TEXT_LIMITS, stale_numbers
from apps.definitions.ui_step_editing import ui_form_op
from apps.portal.errors import portal_errors

from .change_control import change_request_open
from .replay import MAX_REPLAY, impact_preview, route_preview, sample_data

MSG_CREATED = "Workflow '{name}' created with an empty draft. Add fields and stages, then publish."
MSG_PUBLISHED = "Version {number} of {name} is live: new requests start on it; running cases keep their version."
MSG_DRAFT_STARTED = "A new draft from version {number} is ready to edit."
MSG_NO_DRAFT = "This workflow has no draft. Start one from a published version."
MSG_NO_LIVE = "Nothing is published yet, so there is nothing to compare with."
MSG_IMPORTED = "Imported as a new draft of '{key}'. Review it, then publish."
MSG_TEST_STARTED = "Test case #{id} started on the draft; it is marked as a test and left out of dashboards."
MSG_CHANGE_REQUESTED = (
    "Change request #{id} is waiting for another owner of {name}: they approve it (the draft is published "
    "as it is now) or reject it with a reason."
)


def builder_page(view):
    """Signed in, a workflow owner or admin; refusals from services mapped as on every portal page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        ensure_builder(user=request.user)
        return view(request, *args, **kwargs)

    return portal_errors(wrapper)


def _definition(key):
    return selectors.definition_get(key=key)


def _draft(request, definition):
    ensure_can_edit_definition(user=request.user, definition=definition)
    draft = selectors.version_draft(definition=definition)
    if draft is None:
        raise NotFound(MSG_NO_DRAFT)
    return draft


# Definitions.


def _index_context(request) -> dict:
    from .governance_views import overdue_reviews

    counts = selectors.feedback_open_counts()
    rows = [
        {**row, "feedback": counts.get(row["definition"].pk, 0)}
        for row in selectors.definitions_for_builder(user=request.user)
    ]
    return {"rows": rows, "library": LIBRARY, "overdue": overdue_reviews(request.user), "today": timezone.localdate()}


@builder_page
def index(request):
    return render(request, "builder/index.html", {**_index_context(request), "form": {}, "errors": {}})


@builder_page
@require_POST
def definition_new(request):
    values = {k: request.POST.get(k, "").strip() for k in ("key", "name", "description", "template")}
    template = next((t for t in LIBRARY if t["key"] == values["template"]), None)
    spec = json.loads(json.dumps(template["spec"])) if template else {}
    if values["description"]:  # the purpose typed here is the first draft's description too
        spec = {**spec, "description": values["description"]}
    try:
        draft = services.definition_create(
            key=values["key"],
            name=values["name"],
            description=values["description"] or (template["description"] if template else ""),
            spec=spec,
            actor=request.user,
        )
    except (ValidationFailed, ValidationError) as invalid:
        errors = invalid.field_errors if isinstance(invalid, ValidationFailed) else invalid.message_dict
        context = _index_context(request)
        return render(request, "builder/index.html", {**context, "form": values, "errors": errors}, status=400)
    messages.success(request, MSG_CREATED.format(name=draft.definition.name))
    return redirect("builder:draft", key=draft.definition.key)


@builder_page
def definition_detail(request, key):
    from .governance_views import governance_context
    from .schedule_views import schedules_context

    definition = _definition(key)
    versions = selectors.definition_versions(definition=definition)
    return render(
        request,
        "builder/definition.html",
        {
            **governance_context(definition),
            **schedules_context(request, definition),
            "definition": definition,
            "versions": versions,
            "draft": next((v for v in versions if not v.is_published), None),
            "live": next((v for v in versions if v.is_published), None),
            "history": selectors.definition_history(definition=definition),
            "can_edit": user_can_edit_definition(user=request.user, definition=definition),
        },
    )


@builder_page
@require_POST
def draft_from_version(request, key, number):
    definition = _definition(key)
    version = selectors.version_get(definition=definition, ref=number)
    try:
        services.draft_create_from(version=version, actor=request.user)
    except Conflict as conflict:
        messages.warning(request, conflict.message)
    else:
        messages.success(request, MSG_DRAFT_STARTED.format(number=number))
    return redirect("builder:draft", key=key)


# The draft editor.


TEXT_HINTS = {
    "description": "What this workflow is for: the request list, the SOP's purpose and the API show it.",
    "form_intro": "Shown above the start form: what to prepare, who will approve and from which amount.",
}


def _texts_form(draft, values=None, errors=None) -> list[dict]:
    """The Texts section's inputs: the draft's texts (or what was just typed) and their errors."""
    values = values if values is not None else draft.texts.as_dict()
    return [
        {
            "name": key,
            "label": TEXT_LABELS[key],
            "value": values.get(key, ""),
            "limit": TEXT_LIMITS[key],
            "limit_text": f"{TEXT_LIMITS[key]:,}",
            "hint": TEXT_HINTS[key],
            "errors": (errors or {}).get(key, []),
        }
        for key in TEXT_KEYS
    ]


def _editor_context(request, definition, draft, *, open_row=None, problems=None, flash="", texts_form=None):
    # The diagram comes safe from render_svg: ElementTree serialized it, escaping every name.
    live = selectors.version_live_of(definition=definition)
    return {
        "definition": definition,
        "draft": draft,
        "live": live,
        "texts_form": texts_form or _texts_form(draft),
        "text_warnings": stale_numbers(draft.spec, live.spec if live else None, texts=draft.texts),
        "blocks": editor_blocks(draft.spec, open_row=open_row),
        "problems": services.spec_problems(draft.spec) if problems is None else problems,
        "diagram": render_svg(draft.spec, title=f"{definition.name}, draft"),
        "flash": flash,
        "can_edit": True,
        "change": selectors.change_request_latest(definition=definition),
        "draft_hash": services.with_texts_hash(draft),
    }


@builder_page
def draft_edit(request, key):
    definition = _definition(key)
    ensure_can_edit_definition(user=request.user, definition=definition)
    if selectors.version_draft(definition=definition) is None:
        # After a publish there is no draft: offer to start one from the live version (was a 404).
        live = selectors.version_live_of(definition=definition)
        return render(request, "builder/no_draft.html", {"definition": definition, "live": live, "can_edit": True})
    draft = _draft(request, definition)
    open_row = None
    section = request.GET.get("edit")
    if section in SECTIONS:
        parent, raw_index, kind = request.GET.get("parent") or None, request.GET.get("index"), request.GET.get("type")
        open_row = _open_row(draft, section, parent, raw_index, {}, kind=kind)
    context = _editor_context(request, definition, draft, open_row=open_row)
    if request.htmx and request.GET.get("part") == "editor":
        return render(request, "builder/_editor.html", context)
    return render(request, "builder/draft.html", context)


def _index(raw):
    if raw in (None, "", "new"):
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise NotFound("No such row.") from None


def _new_values(section, kind) -> dict:
    """The starting values of a new row; a new step is an HTTP call unless a wait or a UI step is asked for."""
    if section != "steps":
        return {}
    if kind == "wait":
        return {"type": "wait", "timeout_hours": "72"}
    if kind == "ui":  # a script starts on a page: its first row is a goto
        return {"type": "ui", "on_failure": "exception_queue", "script-0-do": "goto", "script-0-url": ""}
    return {"type": "http", "method": "POST", "on_failure": "exception_queue"}


def _open_row(draft, section, parent, raw_index, errors, values=None, kind=None):
    index = _index(raw_index)
    if values is None:
        values = row_values(draft.spec, section, index, parent) if index is not None else _new_values(section, kind)
    form = {
        "inputs": form_inputs(draft.spec, section, values, errors),
        "scripts": ui_script_blocks(draft.spec, values, errors) if section == "steps" else [],
        "errors": errors.get(None, []),
        "section": section,
        "parent": parent or "",
        "index": "" if index is None else index,
        "dom_id": dom_id(section, parent, index),
    }
    return {"section": section, "parent": parent, "index": "new" if index is None else index, "form": form}


@builder_page
def row(request, key, section):
    """GET: the form of one row (htmx: just that row). POST: save it."""
    if section not in SECTIONS:
        raise Http404("No such section.")
    definition = _definition(key)
    draft = _draft(request, definition)
    source = request.POST if request.method == "POST" else request.GET
    parent, raw_index = source.get("parent") or None, source.get("index")
    if request.method != "POST":
        open_row = _open_row(draft, section, parent, raw_index, {}, kind=request.GET.get("type"))
        if request.htmx:
            return render(request, "builder/_row_form.html", {"form": open_row["form"], "definition": definition})
        return render(request, "builder/draft.html", _editor_context(request, definition, draft, open_row=open_row))
    values = {k: v for k, v in request.POST.items() if k not in {"csrfmiddlewaretoken", "parent", "index"}}
    index = _index(raw_index)
    if section == "steps" and values.get("ui_op"):
        # A UI step's script rows added, removed or moved: the form again, nothing saved yet.
        open_row = _open_row(draft, section, parent, raw_index, {}, values=ui_form_op(values, values["ui_op"]))
        return _row_again(request, definition, draft, open_row)
    try:
        draft = services.draft_row_save(
            version=draft, section=section, values=values, actor=request.user, index=index, parent=parent
        )
    except ValidationFailed as invalid:
        errors = dict(invalid.field_errors)
        if not errors:
            errors[None] = [invalid.message]
        open_row = _open_row(draft, section, parent, raw_index, errors, values=values)
        return _row_again(request, definition, draft, open_row, status=400)
    return _after_change(request, definition, draft, "Saved.")


def _row_again(request, definition, draft, open_row, status: int = 200):
    """The row's form again, still open (refused at a field, or a UI step's script rows moved):
    with htmx only the row comes back, in place; else the whole editor (`status` without htmx)."""
    if request.htmx:
        response = render(request, "builder/_row_form.html", {"form": open_row["form"], "definition": definition})
        return retarget(response, f"#{open_row['form']['dom_id']}")
    context = _editor_context(request, definition, draft, open_row=open_row)
    return render(request, "builder/draft.html", context, status=status)


def _after_change(request, definition, draft, flash):
    if request.htmx:
        response = render(request, "builder/_editor.html", _editor_context(request, definition, draft, flash=flash))
        return retarget(response, "#editor")
    messages.success(request, flash)
    return redirect("builder:draft", key=definition.key)


def _refused(request, definition, draft, refusal):
    if request.htmx:
        response = render(
            request, "builder/_editor.html", _editor_context(request, definition, draft, flash=refusal.message)
        )
        response["X-Refused"] = "1"
        return retarget(response, "#editor")
    messages.error(request, refusal.message)
    return redirect("builder:draft", key=definition.key)


@builder_page
@require_POST
def row_remove(request, key, section):
    definition = _definition(key)
    draft = _draft(request, definition)
    try:
        draft = services.draft_row_remove(
            version=draft,
            section=section,
            index=_index(request.POST.get("index")) or 0,
            parent=request.POST.get("parent") or None,
            actor=request.user,
        )
    except ValidationFailed as refusal:
        return _refused(request, definition, draft, refusal)
    return _after_change(request, definition, draft, "Removed.")


@builder_page
@require_POST
def row_move(request, key, section):
    definition = _definition(key)
    draft = _draft(request, definition)
    direction = "up" if request.POST.get("direction") == "up" else "down"
    draft = services.draft_row_move(
        version=draft,
        section=section,
        index=_index(request.POST.get("index")) or 0,
        direction=direction,
        parent=request.POST.get("parent") or None,
        actor=request.user,
    )
    return _after_change(request, definition, draft, f"Moved {direction}.")


@builder_page
@require_POST
def rule_set(request, key):
    definition = _definition(key)
    draft = _draft(request, definition)
    try:
        draft = services.draft_rule_set(
            version=draft,
            target=request.POST.get("target", ""),
            effect=request.POST.get("effect", ""),
            match=request.POST.get("match", ""),
            actor=request.user,
        )
    except ValidationFailed as refusal:
        return _refused(request, definition, draft, refusal)
    return _after_change(request, definition, draft, "Rule saved.")


@builder_page
@require_POST
def settings_set(request, key):
    definition = _definition(key)
    draft = _draft(request, definition)
    try:
        draft = services.draft_settings_update(
            version=draft, on_missing_required=request.POST.get("on_missing_required", ""), actor=request.user
        )
    except ValidationFailed as refusal:
        return _refused(request, definition, draft, refusal)
    return _after_change(request, definition, draft, "Settings saved.")


@builder_page
@require_POST
def texts_set(request, key):
    """The draft's description and start-form text; refused values come back at their field."""
    definition = _definition(key)
    draft = _draft(request, definition)
    values = {k: request.POST.get(k, "") for k in TEXT_KEYS}
    try:
        draft = services.draft_texts_update(version=draft, actor=request.user, **values)
    except ValidationFailed as invalid:
        texts_form = _texts_form(draft, values=values, errors=invalid.field_errors)
        context = _editor_context(request, definition, draft, flash=invalid.message, texts_form=texts_form)
        if request.htmx:
            return retarget(render(request, "builder/_editor.html", context), "#editor")
        return render(request, "builder/draft.html", context, status=400)
    return _after_change(request, definition, draft, "Texts saved.")


@builder_page
@require_POST
def publish(request, key):
    """Publish the draft; or, when the workflow needs a second owner's approval, request it."""
    definition = _definition(key)
    draft = _draft(request, definition)
    if definition.needs_second_approval:
        return _request_change(request, definition, draft)
    try:
        version = services.version_publish(version=draft, actor=request.user, change_note=request.POST.get("note", ""))
    except ValidationFailed as invalid:
        context = _editor_context(request, definition, draft, problems=invalid.field_errors.get("spec", []))
        context["publish_refused"] = invalid.message
        return render(request, "builder/draft.html", context, status=400)
    messages.success(request, MSG_PUBLISHED.format(number=version.number, name=definition.name))
    url = reverse("builder:version", args=[key, version.number])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _request_change(request, definition, draft):
    try:
        change = change_request_open(definition=definition, actor=request.user, note=request.POST.get("note", ""))
    except ValidationFailed as invalid:
        context = _editor_context(request, definition, draft, problems=invalid.field_errors.get("spec", []))
        context["publish_refused"] = invalid.message
        return render(request, "builder/draft.html", context, status=400)
    except Conflict as conflict:
        messages.error(request, conflict.message)
    else:
        messages.success(request, MSG_CHANGE_REQUESTED.format(id=change.pk, name=definition.name))
    url = reverse("builder:draft", args=[definition.key])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# Seeing a version.


@builder_page
def version_detail(request, key, ref):
    definition = _definition(key)
    version = selectors.version_get(definition=definition, ref=ref)
    numbers = [v.number for v in definition.versions.all() if v.number]
    previous = max((n for n in numbers if version.number is None or n < version.number), default=None)
    return render(
        request,
        "builder/version.html",
        {
            "definition": definition,
            "version": version,
            "ref": ref,
            "previous": previous,
            "diagram": render_svg(version.spec, title=f"{definition.name}, {version}"),
            "sop": sop_build(version=version),
            "can_edit": user_can_edit_definition(user=request.user, definition=definition),
            "has_draft": selectors.version_draft(definition=definition) is not None,
        },
    )


@builder_page
def version_bpmn(request, key, ref):
    definition = _definition(key)
    version = selectors.version_get(definition=definition, ref=ref)
    label = f"version {version.number}" if version.number else "draft"
    xml = render_bpmn(version.spec, key=definition.key, name=definition.name, version_label=label)
    response = HttpResponse(xml, content_type="application/xml; charset=utf-8")
    name = f"{definition.key}-{'v' + str(version.number) if version.number else 'draft'}.bpmn"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@builder_page
def version_sop(request, key, ref):
    definition = _definition(key)
    version = selectors.version_get(definition=definition, ref=ref)
    return render(request, "builder/sop.html", {"sop": sop_build(version=version), "version": version})


@builder_page
def version_sop_markdown(request, key, ref):
    definition = _definition(key)
    version = selectors.version_get(definition=definition, ref=ref)
    response = HttpResponse(sop_markdown(version=version), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{definition.key}-sop.md"'
    return response


@builder_page
def diff(request, key):
    definition = _definition(key)
    versions = selectors.definition_versions(definition=definition)
    refs = [("draft" if not v.is_published else str(v.number), v) for v in versions]
    if not refs:
        raise Http404("No versions.")
    new_ref = request.GET.get("to") or refs[0][0]
    old_default = next((r for r, _ in refs if r != new_ref), new_ref)
    old_ref = request.GET.get("from") or old_default
    old = selectors.version_get(definition=definition, ref=old_ref)
    new = selectors.version_get(definition=definition, ref=new_ref)
    sections = spec_diff(old.spec, new.spec, texts=(old.texts, new.texts))
    context = {
        "definition": definition,
        "old": old,
        "new": new,
        "old_ref": old_ref,
        "new_ref": new_ref,
        "refs": [r for r, _ in refs],
        "sections": sections,
        "count": diff_count(sections),
    }
    template = "builder/_diff.html" if request.htmx else "builder/diff.html"
    return render(request, template, context)


# Trying the draft.


def _requester(request):
    username = (request.POST or request.GET).get("requester") or request.user.get_username()
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    return user or request.user


@builder_page
def tester(request, key):
    definition = _definition(key)
    ensure_can_edit_definition(user=request.user, definition=definition)
    draft = selectors.version_draft(definition=definition)
    live = selectors.version_live_of(definition=definition)
    subject = draft or live
    if subject is None:
        raise Http404(MSG_NO_DRAFT)
    source = request.POST if request.method == "POST" else request.GET
    values = {f.name: source.get(f.name, "") for f in spec_of(subject).fields}
    requester = _requester(request)
    results, errors = [], {}
    if request.method == "POST" and draft is not None:
        data, errors = sample_data(fields=spec_of(draft).fields, values=values)
        if not errors:
            try:
                # Routed as the chosen requester, held by the owner: nobody else is asked or told.
                case = case_start_test(version=draft, data=values, actor=request.user, requester=requester)
            except ValidationFailed as invalid:
                errors = {k: v[0] for k, v in invalid.field_errors.items()}
            else:
                messages.success(request, MSG_TEST_STARTED.format(id=case.pk))
                url = reverse("inbox:case", args=[case.pk])
                return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    elif "run" in source:
        for label, version in (("Draft", draft), (f"Live (version {live.number})" if live else "Live", live)):
            if version is None:
                results.append({"label": label, "missing": True})
                continue
            data, problems = sample_data(fields=spec_of(version).fields, values=values)
            errors.update(problems)
            if not problems:
                results.append(
                    {"label": label, "route": route_preview(version=version, data=data, requester=requester)}
                )
    differ = (
        len(results) == 2
        and all("route" in r for r in results)
        and (
            results[0]["route"]["approvers"] != results[1]["route"]["approvers"]
            or results[0]["route"]["state"] != results[1]["route"]["state"]
        )
    )
    context = {
        "definition": definition,
        "draft": draft,
        "live": live,
        "fields": [
            {"spec": f, "value": values.get(f.name, ""), "error": errors.get(f.name, "")}
            for f in spec_of(subject).fields
        ],
        "requester": requester,
        "people": get_user_model()
        .objects.filter(is_active=True)
        .order_by("username")
        .values_list("username", flat=True),
        "results": results,
        "differ": differ,
    }
    template = "builder/_tester_results.html" if request.htmx and request.method == "GET" else "builder/tester.html"
    status = 400 if errors and not request.htmx else 200
    return render(request, template, context, status=status)


@builder_page
def impact(request, key):
    definition = _definition(key)
    ensure_can_edit_definition(user=request.user, definition=definition)
    draft = selectors.version_draft(definition=definition)
    live = selectors.version_live_of(definition=definition)
    try:
        limit = max(1, min(MAX_REPLAY, int(request.GET.get("n", 50))))
    except ValueError:
        limit = 50
    report = impact_preview(live=live, draft=draft, limit=limit) if draft and live else None
    context = {"definition": definition, "draft": draft, "live": live, "limit": limit, "report": report}
    template = "builder/_impact.html" if request.htmx else "builder/impact.html"
    return render(request, template, context)


# Moving between installations.


@builder_page
def export(request, key):
    definition = _definition(key)
    payload = definition_export(definition=definition, actor=request.user, version=request.GET.get("version") or None)
    suffix = f"-v{request.GET['version']}" if request.GET.get("version") else ""
    response = JsonResponse(payload, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{definition.key}{suffix}.json"'
    return response


@builder_page
def import_view(request):
    error, problems = "", []
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ValidationFailed("Choose an exported workflow file (.json).")
            payload = export_parse(upload.read(1_000_000).decode("utf-8", errors="replace"))
            draft = definition_import(payload=payload, actor=request.user, version=request.POST.get("version") or None)
        except (ValidationFailed, Conflict) as refusal:
            error = refusal.message
            problems = [(field, items) for field, items in refusal.field_errors.items() if items != [error]]
        else:
            messages.success(request, MSG_IMPORTED.format(key=draft.definition.key))
            return redirect("builder:draft", key=draft.definition.key)
    context = {"error": error, "problems": problems}
    return render(request, "builder/import.html", context, status=400 if error else 200)
