"""Change control pages: owners and settings, review, the improvement backlog, task feedback.

Thin: each view calls one service of apps.definitions.governance (or change_control) and
shows its refusal where the form is.
"""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.automation.models import ExceptionCategory
from apps.automation.selectors import RECURRING_COUNT, RECURRING_DAYS, recurring_groups
from apps.cases.models import Case
from apps.cases.policy import case_can_view, task_can_reassign
from apps.cases.selectors import human_tasks
from apps.cases.taskinfo import task_info
from apps.core.errors import Conflict, ValidationFailed
from apps.definitions import governance, selectors
from apps.definitions.accessors import spec_of
from apps.definitions.models import Feedback
from apps.definitions.policy import ensure_can_edit_definition
from apps.portal.errors import portal_errors

from .views import _definition, builder_page

MSG_SETTINGS_SAVED = "Change control settings saved."
MSG_OWNER_ADDED = "{username} now owns {name}: they may edit it and approve its changes."
MSG_OWNER_REMOVED = "{username} no longer owns {name}: they cannot edit it or approve its changes."
MSG_REVIEWED = "Review recorded: no change. The next review is due on {due:%d %b %Y}."
MSG_FEEDBACK_THANKS = "Thank you: the owners of {name} see your note in their improvement backlog."
MSG_FEEDBACK_MARKED = "Marked done."
MSG_BAD_DATE = "Next review: enter the date as YYYY-MM-DD."


def governance_context(definition) -> dict:
    """What the overview page's Change control card shows."""
    return {
        "owners": selectors.definition_owners(key=definition.key),
        "changes": selectors.change_requests_of(definition=definition),
        "review_overdue": definition.next_review <= timezone.localdate(),
        "feedback_open": selectors.feedback_open_counts(definition=definition).get(definition.pk, 0),
    }


@builder_page
@require_POST
def governance_set(request, key):
    definition = _definition(key)
    raw = request.POST.get("next_review", "").strip()
    try:
        next_review = date.fromisoformat(raw) if raw else None
    except ValueError:
        messages.error(request, MSG_BAD_DATE)
        return redirect("builder:definition", key=key)
    try:
        governance.definition_governance_update(
            definition=definition,
            actor=request.user,
            needs_second_approval=request.POST.get("needs_second_approval") == "on",
            next_review=next_review,
            owner=request.POST.get("owner", "").strip(),
        )
    except ValidationFailed as invalid:
        messages.error(request, invalid.message)
    else:
        messages.success(request, MSG_SETTINGS_SAVED)
    return redirect("builder:definition", key=key)


def _owners_change(request, key, write, done: str):
    """Add or remove an owner (`write`, a governance service); the refusal or `done` on the workflow's page."""
    definition = _definition(key)
    username = request.POST.get("username", "").strip()
    try:
        write(definition=definition, actor=request.user, username=username)
    except ValidationFailed as invalid:
        messages.error(request, invalid.message)
    else:
        messages.success(request, done.format(username=username, name=definition.name))
    return redirect("builder:definition", key=key)


@builder_page
@require_POST
def owner_add(request, key):
    return _owners_change(request, key, governance.definition_owner_add, MSG_OWNER_ADDED)


@builder_page
@require_POST
def owner_remove(request, key):
    return _owners_change(request, key, governance.definition_owner_remove, MSG_OWNER_REMOVED)


@builder_page
@require_POST
def review_done(request, key):
    definition = governance.review_record(
        definition=_definition(key), actor=request.user, note=request.POST.get("note", "")
    )
    messages.success(request, MSG_REVIEWED.format(due=definition.next_review))
    if request.POST.get("next") == "index":  # from the overdue panel of the builder's list
        return redirect("builder:index")
    return redirect("builder:definition", key=key)


def _recurring(definition) -> list[dict]:
    """This workflow's recurring exceptions (apps.automation), in the words of its live spec."""
    live = selectors.version_live_of(definition=definition)
    names = {s.key: s.name for s in spec_of(live).stages} if live else {}
    labels = dict(ExceptionCategory.choices)
    return [
        {"step": names.get(step, step), "category": labels.get(category, category)}
        for workflow, step, category in sorted(recurring_groups())
        if workflow == definition.key
    ]


@builder_page
def backlog(request, key):
    definition = _definition(key)
    ensure_can_edit_definition(user=request.user, definition=definition)
    open_items, done_items = selectors.feedback_backlog(definition=definition)
    context = {
        "definition": definition,
        "open_items": open_items,
        "done_items": done_items,
        "recurring": _recurring(definition),
        "recurring_count": RECURRING_COUNT,
        "recurring_days": RECURRING_DAYS,
    }
    return render(request, "builder/backlog.html", context)


@builder_page
@require_POST
def feedback_mark_done(request, key, feedback_id):
    definition = _definition(key)
    ensure_can_edit_definition(user=request.user, definition=definition)
    item = Feedback.objects.filter(pk=feedback_id, definition=definition).select_related("definition").first()
    if item is None:
        raise Http404("No such feedback.")
    try:
        governance.feedback_done(feedback=item, actor=request.user)
    except Conflict as conflict:
        messages.warning(request, conflict.message)
    else:
        messages.success(request, MSG_FEEDBACK_MARKED)
    return redirect("builder:backlog", key=key)


@portal_errors
@require_POST
def feedback_give(request, task_id):
    """ "This step is wrong", from a task page: whoever may open the task page may say so (who may
    see its case, or move the task: as inbox.views._case_for_task decides)."""
    task = human_tasks().filter(pk=task_id).first()
    if task is None:
        raise Http404("No such task.")
    case = Case.objects.select_related("definition").get(pk=task.process_id)
    if not (case_can_view(user=request.user, case=case) or task_can_reassign(user=request.user, task=task, case=case)):
        raise PermissionDenied("You cannot see this case.")
    step = task_info(task).label or "Task"
    context = {"task": task, "case": case, "feedback_text": request.POST.get("text", "")}
    try:
        governance.feedback_give(
            definition=case.definition,
            version_number=case.version_number,
            step=step,
            case_id=case.pk,
            actor=request.user,
            text=request.POST.get("text", ""),
        )
    except ValidationFailed as invalid:
        if request.htmx:
            context["feedback_error"] = invalid.message
            return render(request, "builder/_feedback_form.html", context, status=400)
        messages.error(request, invalid.message)
        return redirect("inbox:task", task_id=task.pk)
    thanks = MSG_FEEDBACK_THANKS.format(name=case.definition.name)
    if request.htmx:
        return render(
            request, "builder/_feedback_form.html", {**context, "feedback_text": "", "feedback_thanks": thanks}
        )
    messages.success(request, thanks)
    return redirect("inbox:task", task_id=task.pk)


def overdue_reviews(user) -> list:
    """The builder list's panel: every workflow due for review, for administrators."""
    if not user.is_superuser:
        return []
    return selectors.definitions_review_due()
