"""Refuse NUL characters in what a request carries, before any of it reaches the database.

PostgreSQL cannot store NUL ("\\x00") in text or jsonb: a `%00` in a search parameter, a comment
or a path segment made the query fail with "A string literal cannot contain NUL" (a 500). SQLite
stores it, so the two databases disagreed. No form field or parameter of ours has a use for it,
so any request carrying one is refused with 400 and a message naming the parameter.
"""

from importlib import import_module

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

MSG_NUL = "Text may not contain NUL characters (\\u0000)."
MSG_NUL_IN = "'{name}' may not contain NUL characters (\\u0000)."

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def contains_nul(value) -> bool:
    """True if any string in `value` (a parsed JSON value: keys included) holds a NUL."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(key) or contains_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(item) for item in value)
    return False


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _cookie_with_nul(request) -> str | None:
    """The name of the first cookie holding a NUL (a quoted cookie's octal escape "\\000" becomes
    one), or None. The session cookie is looked up in the database on first use."""
    for name, value in request.COOKIES.items():
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "")
    return None


def _first_with_nul(request) -> str | None:
    """The name of the first path, query or form parameter holding a NUL, or None."""
    if "\x00" in request.path:
        return "path"
    sources = [request.GET]
    # Portal form bodies only: the API parses its own bodies (DRF's CharField refuses NUL in text
    # fields, JSON or form) and answers a body too large in its own shape.
    if request.method == "POST" and request.content_type in _FORM_TYPES and not _is_api(request):
        sources.append(request.POST)
    for source in sources:
        for name, values in source.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return name.replace("\x00", "")
    return None


class RefuseNulMiddleware:
    """400 for a request whose path, query or form holds a NUL: JSON for the API, a page otherwise."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        cookie = _cookie_with_nul(request)
        if cookie is not None:
            # NOTE: the page must not read the poisoned session (request.user does): a fresh one
            # instead, and the cookie is deleted so the browser recovers.
            request.session = import_module(settings.SESSION_ENGINE).SessionStore()
            response = self._refuse(request, cookie)
            response.delete_cookie(cookie)
            return response
        name = _first_with_nul(request)
        if name is None:
            return self.get_response(request)
        return self._refuse(request, name)

    def _refuse(self, request, name):
        message = MSG_NUL_IN.format(name=name)
        if _is_api(request):
            return JsonResponse({"detail": message, "errors": {name: [MSG_NUL]}}, status=400)
        return render(request, "400.html", {"exception": message}, status=400)
