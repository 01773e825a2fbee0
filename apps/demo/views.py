"""The demo ERP: its JSON API (what the invoice step calls) and the operators' page that switches
its mode and shows what it received."""

import hmac

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from apps.core.errors import ValidationFailed
from apps.core.jsonsafe import json_loads_limited
from apps.definitions.accessors import Spec
from apps.definitions.library import INVOICE_PROCESSING
from apps.portal.errors import portal_errors

from . import selectors, services, ticketing
from .models import ErpMode, TicketDeskMode

IDEMPOTENCY_HEADER = "Idempotency-Key"
_STEP = next(s for s in Spec(INVOICE_PROCESSING["spec"]).steps if not s.is_wait)
_TRIES, _TIMEOUT = _STEP.retry.attempts, f"{_STEP.timeout_seconds:g}"
_WAIT = services.RETRY_AFTER_SECONDS
MODE_EFFECTS = {
    ErpMode.OK: "The ERP books the invoice and answers its reference: the case moves on to finance approval with the ERP reference filled in.",
    ErpMode.DOWN: f"Every call gets 503: the step tries {_TRIES} times with backoff, then the case goes to the exception queue as “target unavailable”.",
    ErpMode.SLOW: f"The ERP books the invoice but answers only after {services.SLOW_SECONDS} s, past the step's {_TIMEOUT} s timeout: every retry carries the same Idempotency-Key, so the invoice is booked once, and the case goes to the exception queue as “timeout”.",
    ErpMode.REJECT: f"New invoices get 422 “{services.MSG_BLOCKED}”: nothing is retried and the case goes straight to the exception queue as “rejected by target”.",
    ErpMode.RATE_LIMITED: f"Every call gets 429 with Retry-After: {_WAIT}: the step waits {_WAIT} s between its {_TRIES} tries, then the case goes to the exception queue as “rate limited”.",
    ErpMode.GARBAGE: "Every call gets 200 with an HTML page instead of JSON: the ERP reference cannot be read and the case goes straight to the exception queue as “bad data”.",
}


def _authorized(request, secret: str = "ERP_TOKEN") -> bool:
    token = (getattr(settings, "WMS_SECRETS", {}) or {}).get(secret, "")
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def _respond(answer: services.Answer) -> HttpResponse:
    if isinstance(answer.body, str):
        response = HttpResponse(answer.body, status=answer.status, content_type="text/html; charset=utf-8")
    else:
        response = JsonResponse(answer.body, status=answer.status)
    for name, value in answer.headers.items():
        response[name] = value
    return response


def _serve(request, handle) -> HttpResponse:
    """Misbehave as the mode says, check the token, handle the call, log it."""
    mode = selectors.erp_mode_get()
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    answer = services.erp_misbehave(mode=mode)
    if answer is None and not _authorized(request):
        answer = services.Answer(401, {"message": services.MSG_UNAUTHORIZED}, headers={"WWW-Authenticate": "Bearer"})
    if answer is None:
        answer = handle(mode=mode, key=key)
    services.erp_call_record(method=request.method, path=request.path, key=key, mode=mode, answer=answer)
    return _respond(answer)


# NOTE: csrf_exempt only here: machine-to-machine calls, authenticated by the bearer token.
@csrf_exempt
@require_http_methods(["POST"])
def invoice_book(request):
    def handle(*, mode, key):
        try:
            payload = json_loads_limited(request.body or b"null")
        except ValueError:
            payload = None
        return services.erp_invoice_book(payload=payload, key=key, blocked=mode == ErpMode.REJECT)

    return _serve(request, handle)


def _payload(request):
    """The request's JSON body, or None when it is not JSON (the service says so)."""
    try:
        return json_loads_limited(request.body or b"null")
    except ValueError:
        return None


@csrf_exempt
@require_http_methods(["POST"])
def access_revoke(request):
    """The demo access control's revoke call (the access-request workflow's expiry step)."""
    return _serve(request, lambda *, mode, key: services.erp_access_revoke(payload=_payload(request), key=key))


@csrf_exempt
@require_http_methods(["POST"])
def exception_end(request):
    """The demo policy register's end call (the policy-exception workflow's expiry step)."""
    return _serve(request, lambda *, mode, key: services.erp_exception_end(payload=_payload(request), key=key))


@csrf_exempt
@require_http_methods(["POST"])
def report_extract(request):
    """The recurring-report workflow's data source (its "Fetch the data" step)."""

    def handle(*, mode, key):
        try:
            payload = json_loads_limited(request.body or b"null")
        except ValueError:
            payload = None
        return services.erp_report_extract(payload=payload, locked=mode == ErpMode.REJECT)

    return _serve(request, handle)


@csrf_exempt
@require_http_methods(["DELETE"])
def invoice_cancel(request, reference):
    return _serve(request, lambda *, mode, key: services.erp_invoice_cancel(reference=reference))


@portal_errors
def console(request):
    """The operators' page; htmx polls it for the activity fragment (invoices and calls)."""
    context = selectors.erp_console(user=request.user)
    if request.htmx:
        return render(request, "demo/_activity.html", context)
    modes = [{"value": m.value, "label": m.label, "effect": MODE_EFFECTS[m]} for m in ErpMode]
    endpoint = (getattr(settings, "WMS_ENDPOINTS", {}) or {}).get("ERP", "")
    context |= {"modes": modes, "endpoint": endpoint, "vendors": services.KNOWN_VENDORS}
    return render(request, "demo/erp.html", context)


@portal_errors
@require_POST
def mode_set(request):
    return mode_switch(request, switch=services.erp_mode_set, done=services.MSG_MODE_SET, console="demo:erp")


def mode_switch(request, *, switch, done: str, console: str):
    """A demo system's console switches its mode (the POSTed `mode`): a message either way, back
    to the console."""
    try:
        switch(mode=request.POST.get("mode", ""), actor=request.user)
    except ValidationFailed as invalid:
        messages.error(request, invalid.message)
    else:
        messages.success(request, done.format(mode=request.POST["mode"]))
    return redirect(console)


# --- the demo ticketing system ---------------------------------------------------------------------

TICKET_MODE_EFFECTS = {
    TicketDeskMode.OK: "Opens a ticket for each IT service request and answers its number, which the case shows.",
    TicketDeskMode.DOWN: "Every call gets 503: the “Open ticket” step retries with backoff, then the case goes to "
    "the exception queue as “target unavailable”, where an operator retries it once the system is back.",
}


def _unauthorized() -> services.Answer:
    return services.Answer(401, {"message": services.MSG_UNAUTHORIZED}, headers={"WWW-Authenticate": "Bearer"})


# NOTE: csrf_exempt only here: machine-to-machine calls, authenticated by the bearer token.
@csrf_exempt
@require_http_methods(["POST"])
def ticket_open(request):
    if not _authorized(request, "TICKETING_TOKEN"):
        return _respond(_unauthorized())
    try:
        payload = json_loads_limited(request.body or b"null")
    except ValueError:
        payload = None
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    return _respond(ticketing.ticket_open(payload=payload, key=key))


@csrf_exempt
@require_http_methods(["DELETE"])
def ticket_close(request, number):
    if not _authorized(request, "TICKETING_TOKEN"):
        return _respond(_unauthorized())
    return _respond(ticketing.ticket_close(number=number))


@portal_errors
def tickets_console(request):
    """The operators' page of the demo ticketing system: its mode and the tickets it opened."""
    context = selectors.ticket_desk_console(user=request.user)
    modes = [{"value": m.value, "label": m.label, "effect": TICKET_MODE_EFFECTS[m]} for m in TicketDeskMode]
    endpoint = (getattr(settings, "WMS_ENDPOINTS", {}) or {}).get("TICKETING", "")
    return render(request, "demo/tickets.html", context | {"modes": modes, "endpoint": endpoint})


@portal_errors
@require_POST
def tickets_mode_set(request):
    return mode_switch(
        request, switch=ticketing.ticket_desk_mode_set, done=ticketing.MSG_MODE_SET, console="demo:tickets"
    )
