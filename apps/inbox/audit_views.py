"""The auditors' pages: the audit trail searched across cases (with a streamed CSV export) and
who holds which role, now or on a past day, with every grant and removal.

Auditors, operators and administrators read them (apps.org.selectors.user_reads_audit_trail);
every event's context reads in business words (apps.audit.words), as on the case timeline.
"""

import csv
from datetime import datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from apps.audit.exports import audit_export_record
from apps.audit.models import Action
from apps.audit.selectors import audit_event_search, role_changes, role_holders
from apps.audit.words import context_words, words_text
from apps.core.errors import ValidationFailed
from apps.org.selectors import user_reads_audit_trail
from apps.portal.errors import portal_errors
from apps.portal.pages import paginate

from . import exports, selectors
from .forms import AccessForm, AuditEventSearchForm

MSG_AUDIT_READERS_ONLY = "Only auditors, operators and administrators read the audit trail."
EXPORT_CHUNK = 2000


def _readers_only(request) -> None:
    if not user_reads_audit_trail(user=request.user):
        raise PermissionDenied(MSG_AUDIT_READERS_ONLY)


def _day_start(day):
    """The first moment of `day` in the reader's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def form_problems(form) -> ValidationFailed:
    """A 400 naming every field the filters got wrong (the search pages' exports)."""
    message = " ".join(f"{form[name].label}: {' '.join(errors)}" for name, errors in form.errors.items())
    return ValidationFailed(message, field_errors={name: list(errors) for name, errors in form.errors.items()})


class _Specs:
    """The pinned version's spec of each event (labels of fields and reason codes), looked up
    once per workflow version however many events share it."""

    def __init__(self):
        self.known = {}

    def of(self, event):
        key = (event.workflow, event.version)
        if key not in self.known:
            self.known[key] = selectors.version_spec(workflow=event.workflow, number=event.version)
        return self.known[key]


def _search_form(request) -> AuditEventSearchForm:
    return AuditEventSearchForm(request.GET or None, workflows=selectors.workflow_keys(), actions=Action.choices)


def _filters(form) -> dict:
    """The selector's arguments from valid filters ({} for an unbound form)."""
    if not form.is_bound:
        return {}
    data = form.cleaned_data
    filters = {
        "actor": (data.get("actor") or "").strip(),
        "action": data.get("action") or "",
        "workflow": data.get("workflow") or "",
        "case_id": data.get("case"),
        "start": _day_start(data["date_from"]) if data.get("date_from") else None,
        "end": _day_start(data["date_to"] + timedelta(days=1)) if data.get("date_to") else None,
    }
    return {k: v for k, v in filters.items() if v}


def filters_query(request) -> str:
    """The filters in use, for the pager and the export links of the search pages."""
    query = QueryDict(mutable=True)
    for name, values in request.GET.lists():
        if name != "page" and any(values):
            query.setlist(name, [v for v in values if v])
    return query.urlencode()


@portal_errors
def audit_events(request):
    _readers_only(request)
    form = _search_form(request)
    if form.is_bound and not form.is_valid():
        context = {"form": form, "page": None, "query": ""}
        return render(request, "inbox/audit_events.html", context, status=400)
    page = paginate(request, audit_event_search(**_filters(form)), per_page=50)
    specs = _Specs()
    rows = [{"event": e, "words": context_words(e, spec=specs.of(e))} for e in page.object_list]
    context = {"form": form, "page": page, "rows": rows, "query": filters_query(request)}
    template = "inbox/_event_results.html" if request.htmx else "inbox/audit_events.html"
    return render(request, template, context)


class _Echo:
    """csv.writer writes into this and gets the line back, so each row streams as written."""

    def write(self, value):
        return value


def _csv_lines(events, specs: _Specs):
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(exports.EVENT_HEADERS)  # BOM: spreadsheets read UTF-8 then
    for event in events:
        yield writer.writerow(exports.event_row(event, words_text(context_words(event, spec=specs.of(event)))))


@portal_errors
def audit_events_export(request):
    """Every event the filters match (not only a page), oldest first, as CSV written while it is
    read (a year of events never sits in memory). The export itself is audited first, with the
    number of rows: events written after it began (its own among them) are not in it."""
    _readers_only(request)
    form = _search_form(request)
    if form.is_bound and not form.is_valid():
        raise form_problems(form)
    filters = _filters(form)
    events = audit_event_search(**filters)
    summary = events.aggregate(last=Max("id"))
    last = summary["last"] or 0
    events = events.filter(id__lte=last).order_by("at", "id")
    rows = events.count()
    shown = {k: v for k, v in (form.cleaned_data if form.is_bound else {}).items() if v not in (None, "")}
    audit_export_record(actor=request.user, fmt="csv", filters=shown, rows=rows)
    response = StreamingHttpResponse(
        _csv_lines(events.iterator(chunk_size=EXPORT_CHUNK), _Specs()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="audit-events-{timezone.localdate():%Y-%m-%d}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@portal_errors
def access_review(request):
    """Who holds which role: now, or at the end of `?at=YYYY-MM-DD` (the reader's day), and every
    grant and removal with who made it, when and why."""
    _readers_only(request)
    form = AccessForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "inbox/access.html", {"form": form, "roles": None, "page": None}, status=400)
    day = form.cleaned_data.get("at") if form.is_bound else None
    before = _day_start(day + timedelta(days=1)) if day else None
    page = paginate(request, role_changes(), per_page=50)
    context = {
        "form": form,
        "day": day,
        "roles": role_holders(before=before),
        "page": page,
        "query": filters_query(request),
    }
    return render(request, "inbox/access.html", context)
