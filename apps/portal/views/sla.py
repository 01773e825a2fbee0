"""Business calendar pages: everyone signed in reads them, workflow owners and admins edit.
Whole page, or only the fragment for htmx requests (the preview, the calendar table)."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.core.errors import NotAllowed, ValidationFailed
from apps.sla import calendar as business_time
from apps.sla import selectors, services
from apps.sla.models import BusinessCalendar

from ..errors import portal_errors
from ..forms.calendar import CalendarForm, time_zone_names

PREVIEW_HOURS = Decimal(48)
MAX_PREVIEW_HOURS = Decimal(100_000)
MSG_PREVIEW_HOURS = "Enter a number of hours from 0 to 100000."


def _ensure_can_edit(request):
    if not selectors.calendar_can_edit(user=request.user):
        raise NotAllowed(services.MSG_NOT_ALLOWED)


def _list_context(request):
    return {"calendars": selectors.calendar_list(), "can_edit": selectors.calendar_can_edit(user=request.user)}


@portal_errors
def calendar_list(request):
    return render(request, "sla/calendar_list.html", _list_context(request))


def _preview(request, calendar) -> dict:
    """'N business hours after now is …' and the next days off, for the calendar as saved."""
    error, hours = "", PREVIEW_HOURS
    raw = request.GET.get("hours", "").strip()
    if raw:
        try:
            hours = Decimal(raw)
            if not (0 <= hours <= MAX_PREVIEW_HOURS):
                raise InvalidOperation
        except InvalidOperation:
            error, hours = MSG_PREVIEW_HOURS, PREVIEW_HOURS
    now = timezone.now()
    return {
        "hours": format(hours.normalize(), "f"),
        "hours_error": error,
        "start": now,
        "due": business_time.add_business_hours(calendar=calendar, start=now, hours=hours),
        "days_off": business_time.days_off(calendar=calendar, after=now.date()),
    }


@portal_errors
def calendar_detail(request, calendar_id):
    calendar = get_object_or_404(BusinessCalendar, pk=calendar_id)
    context = {"calendar": calendar, "preview": _preview(request, calendar)}
    if request.htmx:
        return render(request, "sla/_preview.html", context)
    context.update(
        can_edit=selectors.calendar_can_edit(user=request.user),
        days=business_time.weekday_names(calendar.working_days),
        country=business_time.country_name(calendar.country) if calendar.country else "",
    )
    return render(request, "sla/calendar_detail.html", context)


def _form_page(request, form, calendar=None, status=200):
    context = {"form": form, "calendar": calendar, "time_zones": time_zone_names()}
    return render(request, "sla/calendar_form.html", context, status=status)


@portal_errors
def calendar_new(request):
    _ensure_can_edit(request)
    if request.method != "POST":
        initial = {"working_days": ["0", "1", "2", "3", "4"], "day_start": "09:00", "day_end": "17:00"}
        return _form_page(request, CalendarForm(initial=initial | {"time_zone": "UTC"}))
    form = CalendarForm(request.POST)
    try:
        calendar = services.calendar_create(actor=request.user, **form.values())
    except ValidationFailed as invalid:
        form.put_errors(invalid.field_errors or {None: [invalid.message]})
        return _form_page(request, form, status=400)
    messages.success(request, f"Calendar “{calendar.name}” created.")
    return redirect("sla:calendar", calendar_id=calendar.pk)


@portal_errors
def calendar_edit(request, calendar_id):
    _ensure_can_edit(request)
    calendar = get_object_or_404(BusinessCalendar, pk=calendar_id)
    if request.method != "POST":
        return _form_page(request, CalendarForm(calendar=calendar), calendar)
    form = CalendarForm(request.POST)
    try:
        calendar = services.calendar_update(calendar=calendar, actor=request.user, **form.values())
    except ValidationFailed as invalid:
        form.put_errors(invalid.field_errors or {None: [invalid.message]})
        return _form_page(request, form, calendar, status=400)
    messages.success(request, f"Calendar “{calendar.name}” saved.")
    return redirect("sla:calendar", calendar_id=calendar.pk)


@portal_errors
@require_POST
def calendar_make_default(request, calendar_id):
    calendar = get_object_or_404(BusinessCalendar, pk=calendar_id)
    calendar = services.calendar_set_default(calendar=calendar, actor=request.user)
    if request.htmx:
        return render(request, "sla/_calendar_table.html", _list_context(request))
    messages.success(request, f"“{calendar.name}” is now the default calendar.")
    return redirect("sla:calendars")
