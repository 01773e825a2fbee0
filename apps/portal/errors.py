"""The portal's answer to every refusal a service raises, in one place.

Services raise `ServiceError`s (apps/core/errors.py); the API maps them in apps/api/errors.py,
the portal here. Views still catch the refusals they can show inline (a form with its errors); whatever they
do not catch ends here instead of as a 500 (a lock timeout, `Busy`, was one):

- NotAllowed -> 403 page, NotFound -> 404 page;
- any other refusal (Busy and Conflict: 409, ValidationFailed: 400) -> the message as a banner on
  the page the person came from (htmx: status and message, and HX-Redirect back there); a plain
  GET, which has nowhere to go back to, gets a page with the message and the status.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from apps.core.errors import NotAllowed, NotFound, ServiceError


def safe_next(request, url: str | None, default: str = "/") -> str:
    """`url` if it points into this site, otherwise `default` (no open redirect via ?next=)."""
    allowed = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if url and allowed else default


def refusal_response(request, refusal: ServiceError) -> HttpResponse:
    """What a person sees when a service refused: the message, with the refusal's status."""
    status = refusal.status_code
    if getattr(request, "htmx", False):
        back = safe_next(request, request.htmx.current_url)
        messages.error(request, refusal.message)
        response = HttpResponse(refusal.message, status=status, content_type="text/plain; charset=utf-8")
        response["HX-Redirect"] = back
        return response
    if request.method in ("GET", "HEAD"):
        template = "409.html" if status == 409 else "400.html"
        return render(request, template, {"exception": refusal.message}, status=status)
    messages.error(request, refusal.message)
    return redirect(safe_next(request, request.headers.get("Referer")))


def map_service_errors(view):
    """Wrap a portal view so that no ServiceError escapes it as a 500."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotAllowed as refusal:
            raise PermissionDenied(refusal.message) from None
        except NotFound as missing:
            raise Http404(missing.message) from None
        except ServiceError as refusal:
            return refusal_response(request, refusal)

    wrapper.maps_service_errors = True  # copied by functools.wraps onto outer decorators; a test checks every page
    return wrapper


def portal_errors(view):
    """A portal page: signed in, and service refusals mapped as above."""
    return login_required(map_service_errors(view))


MSG_NOTHING_HERE = "There is nothing here."


def page_not_found(request, exception=None):
    """The 404 page (handler404): the reason our own code gave ("No task 42."), or a plain
    sentence; never the name of Django's resolver exception, which the default view shows for
    an address no route matches."""
    reason = exception.args[0] if exception is not None and exception.args else ""
    return render(
        request, "404.html", {"reason": reason if isinstance(reason, str) and reason else MSG_NOTHING_HERE}, status=404
    )
