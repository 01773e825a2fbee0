"""The staff portal: one function view per page. Each returns the whole page, or only its
fragment for htmx requests; every write goes through the same services as the API."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from apps.audit.selectors import audit_events_for_case, chain_verification_last, last_resubmission
from apps.audit.services import cases_export_record
from apps.automation.models import StepKind
from apps.automation.selectors import step_runs_for_case, user_may_repair
from apps.cases import services as case_services
from apps.cases.attachments import attachment_check, case_attachment_add
from apps.cases.models import Attachment, Case, CaseState
from apps.cases.nodes import task_role
from apps.cases.policy import (
    MSG_CANNOT_REASSIGN,
    case_can_view,
    case_can_write,
    ensure_can_act,
    task_can_reassign,
    task_is_open,
)
from apps.cases.reassignment import absence_handover
from apps.cases.selectors import case_get_for_user, case_similar_counts
from apps.cases.taskinfo import task_info, task_label
from apps.core.errors import Conflict, NotAllowed, ServiceError, ValidationFailed
from apps.definitions.accessors import spec_of
from apps.definitions.selectors import definitions_published, version_live, workflow_fields
from apps.org.models import Absence
from apps.org.selectors import user_absence, user_sees_all_cases
from apps.org.services import absence_set
from apps.portal.errors import portal_errors, safe_next
from apps.portal.forms import CaseDataForm
from apps.portal.pages import paginate
from apps.schedules.selectors import run_for_case, run_is_late
from apps.sla.selectors_due import case_sla, case_slas

from . import exports, selectors
from .audit_views import filters_query, form_problems
from .field_history import field_history
from .forms import AbsenceForm, AttachmentsForm, CaseSearchForm, CommentForm, DecisionForm, ReassignForm
from .presenters import business_waiting, route_lines, task_owner, task_state
from .procedure import workflow_card
from .timeline import timeline_entries

MSG_TASK_GONE = "That task was already handled; nothing was changed."


def _redirect(request, url):
    url = safe_next(request, url, default="/inbox/")  # ?next= may only point into this site
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@portal_errors
def home(request):
    user = request.user
    return render(
        request,
        "inbox/home.html",
        {
            "my_tasks": selectors.inbox_tasks(user=user, tab="assigned")[:10],
            "my_requests": selectors.my_open_requests(user=user)[:10],
            "role_counts": selectors.role_queue_counts(user=user),
            "counts": selectors.inbox_counts(user=user),
            "workflows": definitions_published(),
        },
    )


@portal_errors
def request_list(request):
    return render(request, "inbox/request_list.html", {"workflows": definitions_published()})


@portal_errors
def request_start(request, key):
    version = version_live(key=key)
    fields = spec_of(version).intake_fields  # what approvers fill in at their step is not asked here
    # NOTE: bound on every POST, even an empty one, so the service's field errors can be shown.
    form = CaseDataForm(
        request.POST if request.method == "POST" else None,
        fields=fields,
        stages=spec_of(version).stages,
        refresh_url=f"{request.path}?refresh=1",
    )
    files_form = AttachmentsForm()
    if request.method == "POST" and request.GET.get("refresh"):
        # A field others depend on changed (htmx): the fields that apply now, nothing checked or started.
        form = CaseDataForm(
            initial=form.values(),
            fields=fields,
            stages=spec_of(version).stages,
            refresh_url=f"{request.path}?refresh=1",
        )
    elif request.method == "POST":
        uploads = request.FILES.getlist("attachments")
        errors = _attachment_errors(uploads)
        # What the first stage needs is asked for here, at the form, unless the person chose to
        # submit without it (the case then comes back to them to complete).
        complete = not request.POST.get("incomplete")
        incomplete = None
        try:
            if errors:  # the data is still checked, so every problem shows at once
                case_services.case_data_check(
                    version=version, data=form.values(), require_complete=complete, requester=request.user
                )
            else:
                case, _ = case_services.case_start(
                    workflow=key, data=form.values(), actor=request.user, require_complete=complete
                )
        except case_services.Incomplete as missing:
            errors, incomplete = {**missing.field_errors, **errors}, missing.message
        except ValidationFailed as invalid:
            errors = {**invalid.field_errors, **errors}
        if errors:
            form.put_errors({k: v for k, v in errors.items() if k != "attachments"})
            if "attachments" in errors:
                files_form.errors["attachments"] = errors["attachments"]
            context = {"version": version, "form": form, "files_form": files_form, "incomplete": incomplete}
            return render(request, "inbox/request_form.html", {**context, "card": _start_card(version)}, status=400)
        for upload in uploads:
            case_attachment_add(case=case, actor=request.user, upload=upload, with_request=True)
        if case.state == CaseState.REWORK:
            messages.warning(
                request, f"Request #{case.pk} submitted and back with you to complete: {case.route.get('summary', '')}"
            )
        else:
            messages.success(request, f"Request #{case.pk} submitted. {case.route.get('summary', '')}")
        return redirect("inbox:case", case_id=case.pk)
    context = {"version": version, "form": form, "files_form": files_form, "card": _start_card(version)}
    return render(request, "inbox/request_form.html", context)


def _start_card(version) -> dict:
    subject = f"{version.definition.name}: a question before I start a request"
    return workflow_card(key=version.definition.key, number=version.number, subject=subject)


def _case_card(case) -> dict:
    """The workflow card of a case: the SOP of the version the case is pinned to, and its owners."""
    return workflow_card(key=case.workflow_key, number=case.version_number, subject=f"Request #{case.pk}")


def _attachment_errors(uploads) -> dict:
    """Every refused upload's problem, as {"attachments": [...]} (empty when all pass)."""
    problems = []
    for upload in uploads:
        try:
            attachment_check(upload)
        except ValidationFailed as invalid:
            problems.extend(invalid.field_errors.get("attachments") or [invalid.message])
    return {"attachments": problems} if problems else {}


@portal_errors
def my_request_list(request):
    q = request.GET.get("q", "").strip()[:200]
    page = paginate(request, selectors.my_requests(user=request.user, q=q))
    slas = case_slas(case_ids=[case.pk for case in page.object_list])
    for case in page.object_list:
        case.sla = slas.get(case.pk)
    query = QueryDict(mutable=True)
    if q:
        query["q"] = q
    return render(request, "inbox/my_requests.html", {"page": page, "q": q, "query": query.urlencode()})


@portal_errors
def inbox(request):
    tabs = selectors.inbox_tabs(user=request.user)
    tab = request.GET.get("tab", "assigned")
    if tab not in tabs:
        tab = "assigned"
    workflow, sort = request.GET.get("workflow", ""), request.GET.get("sort", "oldest")
    page = paginate(request, selectors.inbox_tasks(user=request.user, tab=tab, workflow=workflow, sort=sort))
    business_waiting(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "tab": tab,
        "tabs": tabs,
        "team_requests": selectors.team_requests(user=request.user, workflow=workflow)
        if tab == selectors.TEAM
        else None,
        "workflow": workflow,
        "sort": sort,
        "page": page,
        "query": query.urlencode(),
        "workflows": selectors.workflow_keys(),
        "counts": selectors.inbox_counts(user=request.user),
    }
    template = (
        "inbox/_inbox_table.html" if request.htmx and request.htmx.target == "inbox-table" else "inbox/inbox.html"
    )
    return render(request, template, context)


def _task_or_404(task_id):
    task = selectors.human_task_get(task_id=task_id)
    if task is None:
        raise Http404("No such task.")
    return task


def _task_context(request, task, case, form=None, decision_form=None, reassign_form=None):
    can_act, refusal = True, ""
    try:
        ensure_can_act(user=request.user, task=task, case=case)
    except (NotAllowed, Conflict) as refused:
        can_act, refusal = False, refused.message  # the page says why (e.g. segregation of duties)
    info = task_info(task)
    siblings = [
        t for t in selectors.case_tasks(case=case) if t.flow_task.name == "approve" and task_info(t).round == info.round
    ]
    kind = info.kind
    spec = spec_of(case.version)
    if kind == "rework" and form is None:
        form = CaseDataForm(initial=case.data, fields=spec.intake_fields, missing=info.missing, stages=spec.stages)
    if kind == "approval" and decision_form is None:
        decision_form = DecisionForm(reason_codes=_reason_codes(spec), step_fields=_step_fields(spec, info))
        decision_form.initial.update({f.name: case.data.get(f.name) for f in _step_fields(spec, info)})
    return {
        "task": task,
        "info": info,
        "case": case,
        "kind": kind,
        "can_act": can_act and task_is_open(task),
        "can_claim": can_act and task_is_open(task) and task.owner_id is None,
        # A test case's task is held by its starter: whom it stands for (routing's choice).
        "sandbox_as": info.routed_to
        or (f"a member of {info.role or task_role(task)}" if (info.role or task_role(task)) else "the requester"),
        "refusal": refusal,
        "state": task_state(task),
        "owner": task_owner(task),
        "siblings": [
            {"task": t, "label": task_info(t).label, "state": task_state(t), "owner": task_owner(t)} for t in siblings
        ],
        "route_lines": route_lines(case.route, words=spec_of(case.version).words),
        "fields": _field_rows(case),
        "form": form,
        "decision_form": decision_form,
        "attachments": list(case.attachments.all()),
        "can_reassign": task_is_open(task) and _may_reassign(request, task, case),
        "resubmission": _resubmission(case, spec) if kind == "approval" and case.round > 1 else None,
        "similar": _similar(case, spec) if kind == "approval" else None,
        "reassign_form": reassign_form or ReassignForm(),
        "card": _case_card(case),
    }


def _resubmission(case, spec) -> dict | None:
    """What the approver should know about a case sent back and resubmitted: the requester's
    comment and the fields that changed since it was returned (labels, old -> new)."""
    found = last_resubmission(case_id=case.pk)
    if found is None:
        return None
    resubmitted, returned = found
    before = (returned.data if returned is not None else {}) or {}
    after = resubmitted.data or {}
    changes = [
        {"label": f.label, "old": f.shown(before.get(f.name, "")), "new": f.shown(after.get(f.name, ""))}
        for f in spec.fields
        if before.get(f.name, "") != after.get(f.name, "")
    ]
    return {
        "by": resubmitted.actor_name,
        "at": resubmitted.at,
        "comment": resubmitted.comment,
        "returned_by": returned.actor_name if returned is not None else "",
        "returned_reason": returned.reason if returned is not None else "",
        "changes": changes,
    }


def _similar(case, spec) -> dict | None:
    """Recurring-request analysis for approvers, where the workflow asks for it (`similar_cases`):
    how many other cases the same requester, and the same value of each named field, had lately."""
    similar = spec.similar_cases
    if similar is None:
        return None
    rows = []
    for row in case_similar_counts(case=case, similar=similar):
        if row["same"] == "requester":
            label = f"Requested by {case.requester.get_full_name() or case.requester.get_username()}"
        else:
            field = spec.field(row["same"])
            label = f"{field.label}: {field.shown(row['value'])}" if field else row["same"]
        rows.append({**row, "label": label})
    return {"months": similar.months, "rows": rows}


def _timeline(case) -> list:
    """The case's audit events as timeline entries: each routing one entry with its rows behind
    it; each decision with its reason code's label and, for a delegate's decision, whom they
    acted for."""
    spec = spec_of(case.version)
    labels = {c.code: c.label for c in spec.reason_codes}
    steps = {s.key: s.name for s in spec.stages}
    events = list(audit_events_for_case(case_id=case.pk))
    for event in events:
        # A stage or step by the name its owner wrote ("ERP check"), not its key made into words.
        event.step = steps.get(event.step, event.step)
    return timeline_entries(events, reason_labels=labels, words=spec.words, spec=spec)


def _field_rows(case) -> list[dict]:
    return [
        {"label": f.label, "value": f.shown(case.data.get(f.name, "")), "name": f.name, "type": f.type}
        for f in spec_of(case.version).fields
    ]


def _step_fields(spec, info) -> tuple:
    """The fields the approver of this task fills in (a GL code, the access granted)."""
    return tuple(f for f in spec.fields if f.name in info.fields)


def _reason_codes(spec) -> list[dict]:
    """The reason codes a decision may cite, as DecisionForm takes them ({code, label})."""
    return [c.as_dict() for c in spec.reason_codes]


def _may_reassign(request, task, case) -> bool:
    """policy.task_can_reassign, asked once per request (it reads the holder's manager and the
    workflow's object permissions)."""
    if not hasattr(task, "_may_reassign"):
        task._may_reassign = task_can_reassign(user=request.user, task=task, case=case)
    return task._may_reassign


def _case_for_task(request, task) -> Case:
    """The task's case, for whoever may see it or may move the task (they must read it to act)."""
    case = Case.objects.select_related("version", "requester", "definition").get(pk=task.process_id)
    if not (case_can_view(user=request.user, case=case) or _may_reassign(request, task, case)):
        raise PermissionDenied("You cannot see this case.")
    return case


@portal_errors
def task_detail(request, task_id):
    task = _task_or_404(task_id)
    case = _case_for_task(request, task)
    return render(request, "inbox/task.html", _task_context(request, task, case))


@portal_errors
@require_POST
def task_decide(request, task_id):
    task = _task_or_404(task_id)
    case = _case_for_task(request, task)
    info, spec = task_info(task), spec_of(case.version)
    form = decision_form = None
    if info.kind == "rework":
        form = CaseDataForm(request.POST, fields=spec.intake_fields, missing=info.missing, stages=spec.stages)
        arguments = {"decision": "submit", "data": form.values(), "comment": request.POST.get("comment", "")}
    else:
        decision_form = DecisionForm(
            request.POST, reason_codes=_reason_codes(spec), step_fields=_step_fields(spec, info)
        )
        decision = request.POST.get("decision", "")
        if decision not in {"approve", "reject", "return"}:
            return HttpResponseBadRequest("Choose approve, reject or return.")
        arguments = {
            "decision": decision,
            "reason": request.POST.get("reason", ""),
            "comment": request.POST.get("comment", ""),
            "reason_code": request.POST.get("reason_code") or None,
        }
        if info.fields:
            arguments["data"] = decision_form.step_values()
    try:
        case_services.task_complete(task_id=task.pk, actor=request.user, **arguments)
    except ValidationFailed as invalid:
        target = form if form is not None else decision_form
        target.put_errors(
            {k: v for k, v in invalid.field_errors.items() if k in target.fields} or {None: [invalid.message]}
        )
        context = _task_context(request, task, case, form=form, decision_form=decision_form)
        return render(request, "inbox/task.html", context, status=400)
    except Conflict as conflict:
        messages.warning(request, f"{MSG_TASK_GONE} ({conflict.message})")
        return redirect("inbox:case", case_id=case.pk)
    done = {
        "approve": "approved",
        "reject": "rejected",
        "return": "returned to the requester",
        "submit": "resubmitted",
    }[arguments["decision"]]
    messages.success(request, f"{task_label(task, 'Task')} on request #{case.pk} {done}.")
    following = selectors.next_task_for(user=request.user)
    if following is not None:
        return redirect("inbox:task", task_id=following.pk)
    return redirect("inbox:inbox")


@portal_errors
@require_POST
def task_reassign(request, task_id):
    """The holder's manager, an operator, an administrator or the workflow's owner moves the task."""
    task = _task_or_404(task_id)
    case = _case_for_task(request, task)
    if not _may_reassign(request, task, case):
        raise PermissionDenied(MSG_CANNOT_REASSIGN)
    form = ReassignForm(request.POST)
    if form.is_valid():
        try:
            task = case_services.task_reassign_by(task_id=task.pk, actor=request.user, **form.cleaned_data)
        except ValidationFailed as invalid:
            form.put_errors(
                {k: v for k, v in invalid.field_errors.items() if k in form.fields} or {None: [invalid.message]}
            )
        except NotAllowed as refused:  # e.g. the segregation-of-duties rule refuses that person
            form.put_errors({"to": [refused.message]})
        except Conflict as conflict:
            messages.warning(request, f"{MSG_TASK_GONE} ({conflict.message})")
            return redirect("inbox:case", case_id=case.pk)
        else:
            target = task.owner.get_username() if task.owner_id else f"the {task_role(task)} queue"
            messages.success(request, f"{task_label(task, 'Task')} on request #{case.pk} moved to {target}.")
            return redirect("inbox:task", task_id=task.pk)
    context = _task_context(request, task, case, reassign_form=form)
    return render(request, "inbox/task.html", context, status=400)


def _task_row(request, task, *, tab):
    """The claimed or released row for htmx, with the new tab counts swapped out of band."""
    task = selectors.task_row_get(task_id=task.pk)
    business_waiting([task])
    tab = request.POST.get("tab") if request.POST.get("tab") in selectors.TABS else tab
    context = {"task": task, "tab": tab, "counts": selectors.inbox_counts(user=request.user)}
    return render(request, "inbox/_task_row_swap.html", context)


@portal_errors
@require_POST
def task_claim(request, task_id):
    try:
        task = case_services.task_claim(task_id=task_id, actor=request.user)
    except Conflict as conflict:
        messages.warning(request, conflict.message)
        return _redirect(request, request.POST.get("next") or "/inbox/?tab=queue")
    if request.htmx:
        return _task_row(request, task, tab="queue")
    messages.success(request, f"You took {task_info(task).label}.")
    return redirect("inbox:task", task_id=task.pk)


@portal_errors
@require_POST
def task_release(request, task_id):
    try:
        task = case_services.task_release(task_id=task_id, actor=request.user)
    except Conflict as conflict:
        messages.warning(request, conflict.message)
        return _redirect(request, "/inbox/")
    if request.htmx:
        return _task_row(request, task, tab="assigned")
    messages.success(request, f"{task_info(task).label} is back in its queue.")
    return redirect("/inbox/")


@portal_errors
def case_detail(request, case_id):
    case = case_get_for_user(user=request.user, case_id=case_id)
    tasks = selectors.case_tasks(case=case)
    open_tasks = [t for t in tasks if task_is_open(t)]
    # NOTE: no query for workflows without automated steps; one for those with them.
    step_runs = step_runs_for_case(case=case)
    blocking = next((r for r in reversed(step_runs) if r.is_open and r.kind != StepKind.UNDO), None)
    scheduled = run_for_case(case=case)
    return render(
        request,
        "inbox/case.html",
        {
            "case": case,
            "scheduled_run": scheduled,
            "scheduled_run_late": scheduled is not None and run_is_late(scheduled),
            "step_runs": step_runs,
            "blocking_step": blocking,
            "can_repair_step": blocking is not None and user_may_repair(user=request.user, run=blocking),
            "fields": _field_rows(case),
            "route_lines": route_lines(case.route, words=spec_of(case.version).words),
            "events": _timeline(case),
            "owners": [{"task": t, "label": task_info(t).label, "owner": task_owner(t)} for t in open_tasks],
            "comments": case.comments.select_related("author"),
            "attachments": case.attachments.all(),
            "comment_form": CommentForm(),
            "files_form": AttachmentsForm(),
            "case_sla": case_sla(case=case),
            "can_withdraw": case.is_open and case.requester_id == request.user.pk,
            "can_write": case_can_write(user=request.user, case=case),
            "can_see_history": user_sees_all_cases(user=request.user),
            "card": _case_card(case),
        },
    )


@portal_errors
@require_POST
def case_withdraw(request, case_id):
    case = case_get_for_user(user=request.user, case_id=case_id)
    try:
        case_services.case_withdraw(case_id=case.pk, actor=request.user, reason=request.POST.get("reason", ""))
    except Conflict as conflict:
        messages.warning(request, conflict.message)
    else:
        messages.success(request, f"Request #{case.pk} withdrawn.")
    return redirect("inbox:case", case_id=case.pk)


@portal_errors
@require_POST
def case_comment(request, case_id):
    case = case_get_for_user(user=request.user, case_id=case_id)
    try:
        case_services.case_comment_add(case=case, actor=request.user, body=request.POST.get("body", ""))
    except ValidationFailed as invalid:
        messages.error(request, invalid.message)
    else:
        messages.success(request, "Comment added.")
    return redirect("inbox:case", case_id=case.pk)


@portal_errors
@require_POST
def case_attach(request, case_id):
    case = case_get_for_user(user=request.user, case_id=case_id)
    uploads = request.FILES.getlist("attachments")
    if not uploads:
        messages.error(request, "Choose a file to attach.")
    try:
        for upload in uploads:
            case_attachment_add(case=case, actor=request.user, upload=upload)
    except NotAllowed:
        raise  # 403, by portal_errors
    except ServiceError as refusal:
        messages.error(request, refusal.message)
    else:
        if uploads:
            messages.success(request, f"{len(uploads)} document(s) attached.")
    return redirect("inbox:case", case_id=case.pk)


@portal_errors
def attachment_download(request, attachment_id):
    attachment = get_object_or_404(Attachment.objects.select_related("case"), pk=attachment_id)
    if not case_can_view(user=request.user, case=attachment.case):
        raise PermissionDenied("You cannot see this case.")
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _auditor_only(request):
    if not user_sees_all_cases(user=request.user):
        raise PermissionDenied("Only auditors and administrators can search all cases.")


def _case_search_form(request) -> CaseSearchForm:
    return CaseSearchForm(request.GET or None, workflows=selectors.workflow_keys())


def _search_filters(form) -> dict:
    filters = form.cleaned_data if form.is_valid() else {}
    return {k: v for k, v in filters.items() if v}


@portal_errors
def audit_case_search(request):
    _auditor_only(request)
    form = _case_search_form(request)
    page = paginate(request, selectors.case_search(**_search_filters(form)))
    query = filters_query(request)
    if request.htmx:
        return render(request, "inbox/_case_results.html", {"form": form, "page": page, "query": query})
    context = {"form": form, "page": page, "query": query, "verification": chain_verification_last()}
    return render(request, "inbox/audit_search.html", context)


@portal_errors
def audit_case_export(request, fmt):
    """The search's list (same filters, every page) as a CSV or XLSX file."""
    _auditor_only(request)
    form = _case_search_form(request)
    if form.is_bound and not form.is_valid():
        raise form_problems(form)
    filters = _search_filters(form)
    cases = selectors.case_search(**filters)
    count = cases.count()
    if count > exports.MAX_ROWS:
        raise ValidationFailed(exports.MSG_TOO_MANY.format(count=count, limit=exports.MAX_ROWS))
    fields = workflow_fields(key=filters["workflow"]) if filters.get("workflow") else None
    if not fields:
        cases = cases.select_related("version")  # the "Data" column labels each value
    body = exports.cases_dataset(cases.iterator(chunk_size=1000), fields=fields).export(fmt)
    cases_export_record(actor=request.user, fmt=fmt, filters=filters, rows=count)
    response = HttpResponse(body, content_type=exports.FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="cases-{timezone.localdate():%Y-%m-%d}.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@portal_errors
def case_field_history(request, case_id):
    _auditor_only(request)
    case = case_get_for_user(user=request.user, case_id=case_id)
    records = case.history.select_related("history_user").order_by("history_date", "history_id")
    changes = field_history(case, records, audit_events_for_case(case_id=case.pk))
    return render(request, "inbox/case_history.html", {"case": case, "changes": changes})


@portal_errors
def away(request):
    form = AbsenceForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            absence_set(user=request.user, actor=request.user, **form.cleaned_data)
        except ValidationFailed as invalid:
            form.put_errors(invalid.field_errors)
        else:
            messages.success(request, "Absence saved: new tasks go to your delegate while you are away.")
            return redirect("inbox:away")
    current = user_absence(user=request.user, at=timezone.now())
    return render(
        request,
        "inbox/away.html",
        {
            "form": form,
            "absences": Absence.objects.filter(user=request.user).select_related("delegate")[:20],
            "current": current,
            "open_count": selectors.open_approvals_count(user=request.user) if current else 0,
        },
        status=400 if form.errors else 200,
    )


MSG_HANDED_OVER = "{count} task(s) handed over to {delegate}."
MSG_HANDOVER_KEPT = (
    "{count} approval(s) stayed with you: {delegate} may not take them (they requested the case or "
    "already approve in that stage). The operators were told and will route them."
)


@portal_errors
@require_POST
def away_handover(request):
    current = user_absence(user=request.user, at=timezone.now())
    if current is None:
        messages.error(request, "You are not away right now: record an absence first.")
        return redirect("inbox:away")
    moved = absence_handover(user=request.user, delegate=current.delegate, actor=request.user)
    delegate = current.delegate.get_username()
    messages.success(request, MSG_HANDED_OVER.format(count=len(moved), delegate=delegate))
    kept = selectors.open_approvals_count(user=request.user)
    if kept:
        messages.warning(request, MSG_HANDOVER_KEPT.format(count=kept, delegate=delegate))
    return redirect("inbox:away")
