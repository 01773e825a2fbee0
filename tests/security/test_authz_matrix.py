"""The authorization matrix: every page and API endpoint x every demo role x own / someone
else's object, against the answers written once in tests/security/matrix.py.

The URL conf is walked, so a new page or endpoint without a row fails here (the Django admin is
left out: it has its own permission system; see matrix.py). Each cell is one request by one role,
in its own transaction; a refused write must leave the database as it was.
"""

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern
from rest_framework.test import APIClient
from viewflow.workflow.models import Task

from apps.audit.models import AuditEvent
from apps.automation.models import StepRun
from apps.cases.models import Attachment, Case, Comment
from apps.definitions.models import DefinitionVersion, WorkflowDefinition
from apps.integrations.models import InboundEndpoint, WebhookDelivery, WebhookSubscription
from apps.notify.models import Notification
from apps.org.models import Absence
from apps.sla.models import BusinessCalendar

from .matrix import ANSWERS, ROWS

SKIPPED_PREFIXES = ("admin/", "static/", "media/")
CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
MSG_MISSING_ROW = "No row in tests/security/matrix.py for {names}: add a row to tests/security/matrix.py."


def url_patterns(patterns=None, prefix="", namespace=""):
    """(key, route, callback) of every URL pattern: key is its namespaced name, or its route."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from url_patterns(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            yield _key(pattern, route, namespace), route, pattern.callback


def _key(pattern, route: str, namespace: str) -> str:
    """A pattern's row name: its URL name; unnamed, its route, or its view for a regex (which changes)."""
    if pattern.name:
        return f"{namespace}{pattern.name}"
    if isinstance(pattern.pattern, RegexPattern):
        return f"{pattern.callback.__module__}.{pattern.callback.__name__}"
    return route


ROUTES = {key: route for key, route, _ in url_patterns()}


def view_methods(callback) -> set[str]:
    """The HTTP methods an API view answers (besides HEAD and OPTIONS); empty for other views."""
    view_class = getattr(callback, "cls", None)  # set by DRF's as_view()
    if view_class is None:
        return set()
    names = set(view_class.http_method_names) - {"head", "options", "trace"}
    return {name.upper() for name in names if hasattr(view_class, name)}


# --- The table covers the URL conf, and nothing but it ------------------------------------------


def test_every_url_pattern_has_a_row():
    covered = {row.name for row in ROWS}
    missing = sorted(key for key in ROUTES if key not in covered)
    assert not missing, MSG_MISSING_ROW.format(names=", ".join(missing))


def test_every_method_of_an_api_view_has_a_row():
    covered = {(row.name, row.method) for row in ROWS}
    missing = sorted(
        f"{key} {method}"
        for key, _, callback in url_patterns()
        for method in view_methods(callback)
        if (key, method) not in covered
    )
    assert not missing, MSG_MISSING_ROW.format(names=", ".join(missing))


def test_every_row_names_a_url_pattern():
    stale = sorted({row.name for row in ROWS} - set(ROUTES))
    assert not stale, f"Rows for URL patterns that no longer exist: {', '.join(stale)}"


def test_the_walk_finds_the_pages_and_the_api():
    """The walk itself can fail: it must see every app's pages, and only skip the admin."""
    prefixes = {key.split(":")[0] for key in ROUTES if ":" in key}
    assert {"inbox", "builder", "sla", "notify", "integrations", "exceptions"} <= prefixes
    assert "api-case" in ROUTES and "api-exception-retry" in ROUTES
    assert not any(route.startswith("admin/") for route in ROUTES.values())


# --- Every cell -----------------------------------------------------------------------------------


def _cells():
    for row in ROWS:
        for role, whose, letter, reason in row.cells():
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            name = f"{row.name} {row.method}" + (f" {row.obj}:{whose}" if row.obj else "")
            yield pytest.param(row, role, whose, letter, id=f"{name} as {role}", marks=marks)


def _path(row, dataset, whose) -> str:
    kwargs = {**(dataset.kwargs(row.obj, whose) if row.obj else {}), **row.path}
    if "_path" in kwargs:
        path = kwargs["_path"]
    else:
        path = "/" + CONVERTER.sub(lambda m: str(kwargs[m.group(1)]), ROUTES[row.name])
    match = resolve(path)
    assert match.route in (ROUTES[row.name], ROUTES[row.name].replace("^", "")), (
        f"{path} resolves to {match.route}, not to the row's pattern {ROUTES[row.name]}"
    )
    return path


def _client(path, dataset, role):
    if path.startswith("/api/"):
        client = APIClient()
        if role != "anonymous":
            client.credentials(HTTP_AUTHORIZATION=f"Token {dataset.tokens[role]}")
        return client
    client = Client()
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = dataset.sessions[role]
    return client


def _send(client, row, path, dataset):
    method = row.method.lower()
    if method == "get":
        return client.get(path)
    data = dataset.bodies[row.data] if isinstance(row.data, str) else (row.data or {})
    if isinstance(client, APIClient):
        return getattr(client, method)(path, data, format="json")
    if row.files:
        upload = SimpleUploadedFile("matrix.pdf", b"%PDF-1.4 matrix", content_type="application/pdf")
        data = {**data, "attachments": [upload]}
    return getattr(client, method)(path, data)


def answer_of(response) -> str:
    """The matrix's letter for a response (a 5xx or an unlisted status is its number)."""
    status = response.status_code
    if status == 401 or (status in (301, 302, 303) and response["Location"].startswith(settings.LOGIN_URL)):
        return "L"
    if 200 <= status < 400:
        return "O"
    return {403: "F", 404: "H", 405: "M", 400: "B", 409: "C"}.get(status, str(status))


def database_state() -> tuple:
    """What a refused write must not change."""
    return (
        AuditEvent.objects.count(),
        list(Case.objects.order_by("pk").values_list("pk", "status", "state", "outcome", "data")),
        list(Task.objects.order_by("pk").values_list("pk", "status", "owner_id")),
        Comment.objects.count(),
        Attachment.objects.count(),
        list(StepRun.objects.order_by("pk").values_list("pk", "status", "assigned_to_id", "attempts")),
        list(Notification.objects.order_by("pk").values_list("pk", "read_at", "email_status")),
        list(WebhookSubscription.objects.order_by("pk").values_list("pk", "name", "url", "is_active")),
        list(WebhookDelivery.objects.order_by("pk").values_list("pk", "status", "attempts")),
        list(InboundEndpoint.objects.order_by("pk").values_list("pk", "slug", "secret", "is_active")),
        list(BusinessCalendar.objects.order_by("pk").values_list("pk", "name", "is_default")),
        WorkflowDefinition.objects.count(),
        list(DefinitionVersion.objects.order_by("pk").values_list("pk", "status", "spec")),
        Absence.objects.count(),
    )


REFUSED = {"L", "F", "H", "M"}


@pytest.mark.parametrize(("row", "role", "whose", "expected"), list(_cells()))
def test_answer(dataset, db, row, role, whose, expected):
    path = _path(row, dataset, whose)
    client = _client(path, dataset, role)
    cache.clear()  # request counters of the API throttles: this test is not about them
    before = database_state() if row.method != "GET" and expected in REFUSED else None
    response = _send(client, row, path, dataset)
    got = answer_of(response)
    assert response.status_code < 500, f"{row.method} {path} as {role}: {response.status_code}"
    assert got == expected, (
        f"{row.method} {path} as {role} ({whose}): expected {ANSWERS[expected]}, "
        f"got {ANSWERS.get(got, got)} ({response.status_code})"
    )
    if before is not None:
        assert database_state() == before, f"{row.method} {path} as {role} was refused but changed the database"
