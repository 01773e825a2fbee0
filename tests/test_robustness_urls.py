"""What a URL or a query string carries never makes a 500: ids beyond the database's integer are
404 everywhere, NUL characters are a 400 naming the parameter, and junk paging, sorting and tab
parameters fall back to something sensible on every portal page and API list."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter
from django.utils.html import escape

from apps.cases.models import Comment
from apps.core.converters import IdConverter
from apps.core.heartbeats import SLA_SWEEP, STEP_SWEEP, WORKER, heartbeat_beat
from apps.core.input_guard import MSG_NUL_IN
from tests.conftest import task_for

TOO_BIG = ["99999999999999999999", str(2**63), "0"]


def _patterns(resolver=None, prefix=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def _id_routes():
    return [route for route, _ in _patterns() if "<id:" in route]


def test_every_numeric_url_segment_is_a_database_id():
    """`<int:...>` accepts any number of digits; `<id:...>` only 1 to 2**63-1."""
    numeric = [
        route
        for route, pattern in _patterns()
        for converter in pattern.pattern.converters.values()
        if isinstance(converter, IntConverter)
    ]
    assert numeric == []
    assert _id_routes() and all(
        isinstance(converter, IdConverter)
        for route, pattern in _patterns()
        if "<id:" in route
        for converter in pattern.pattern.converters.values()
        if converter.regex == IdConverter.regex
    )


@pytest.fixture
def admin_client(demo):
    client = Client()
    client.force_login(demo["admin"])
    return client


@pytest.mark.parametrize("route", _id_routes())
def test_ids_beyond_the_database_integer_are_404(admin_client, route):
    for number in TOO_BIG:
        url = "/" + re.sub(r"<id:\w+>", number, re.sub(r"<slug:\w+>", "purchase-approval", route))
        url = re.sub(r"<str:\w+>", "1", url)
        assert admin_client.get(url).status_code == 404, url
        assert admin_client.post(url).status_code == 404, url


def test_the_largest_database_id_is_still_an_id(admin_client):
    assert admin_client.get(f"/cases/{2**63 - 1}/").status_code == 404  # no such case, and no overflow


# NUL: PostgreSQL refuses it in any text ("A string literal cannot contain NUL"), so it never gets there.


@pytest.fixture
def alice(client, demo):
    client.force_login(demo["alice"])
    return client


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/inbox/?workflow=a%00b", "workflow"),
        ("/inbox/?sort=%00", "sort"),
        ("/requests/?page=1%00", "page"),
        ("/audit/cases/?q=%00", "q"),
        ("/exceptions/?category=%00", "category"),
        ("/builder/purchase-approval/versions/a%00b/", "path"),
    ],
)
def test_nul_in_the_path_or_query_is_a_400_naming_it(alice, url, name):
    response = alice.get(url)
    assert response.status_code == 400
    assert escape(MSG_NUL_IN.format(name=name)) in response.content.decode()


# A quoted cookie may carry an octal escape that Django's cookie parser turns into a NUL: the
# session cookie is looked up in the database before any view runs (it was a 500 on PostgreSQL,
# signed in or not, on every page).
POISONED_SESSION = 'sessionid="abcdefgh\\000ijklmnop"'


@pytest.mark.parametrize("url", ["/inbox/", "/accounts/login/", "/api/v1/cases/"])
def test_nul_in_a_cookie_is_a_400_naming_it_and_the_cookie_is_cleared(demo, url):
    response = Client().get(url, HTTP_COOKIE=POISONED_SESSION)
    assert response.status_code == 400
    message = MSG_NUL_IN.format(name="sessionid")
    if url.startswith("/api/"):
        assert response.json()["detail"] == message
    else:
        assert escape(message) in response.content.decode()
    assert response.cookies["sessionid"].value == "", "the client gets rid of the poisoned cookie"


def test_nul_in_an_api_query_is_a_400_in_the_api_shape(api_client):
    response = api_client.get("/api/v1/cases/?status=%00")
    assert response.status_code == 400
    assert response.json()["errors"] == {"status": ["Text may not contain NUL characters (\\u0000)."]}


@pytest.fixture
def api_client(demo):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(demo["alice"])
    return client


def test_nul_in_a_comment_is_refused_and_nothing_is_stored(alice, start_purchase):
    case = start_purchase()
    response = alice.post(f"/cases/{case.pk}/comments/", {"body": "Looks fine\x00"})
    assert response.status_code == 400 and escape(MSG_NUL_IN.format(name="body")) in response.content.decode()
    assert not Comment.objects.filter(case=case).exists()


def test_text_without_nul_still_goes_through(alice, start_purchase):
    case = start_purchase()
    alice.post(f"/cases/{case.pk}/comments/", {"body": "Looks fine"})
    assert Comment.objects.filter(case=case, body="Looks fine").exists()


# Junk paging, sorting and tabs on every page a person can open.

JUNK = ["page=abc", "page=-1", f"page={10**30}", "sort=unknown", "tab=unknown", "show=unknown", "n=-5", "n=abc"]


def _pages(case, task):
    """Every GET page of the portal and API list, with real objects for its ids."""
    values = {"case_id": case.pk, "task_id": task.pk, "key": "purchase-approval", "ref": "1", "number": "1"}
    for route, _pattern in _patterns():
        if route.startswith(("admin/", "accounts/", "demo/erp/invoices")) or route.startswith("^"):
            continue
        names = re.findall(r"<\w+:(\w+)>", route)
        if any(name not in values for name in names):
            continue
        yield "/" + re.sub(r"<\w+:(\w+)>", lambda m: str(values[m.group(1)]), route)


@pytest.mark.parametrize("username", ["alice", "admin"])
def test_junk_parameters_never_make_a_500(client, demo, start_purchase, username):
    case = start_purchase(amount="5000")
    task = task_for(case, "Manager approval")
    client.force_login(demo[username])
    client.raise_request_exception = False
    for name in (WORKER, SLA_SWEEP, STEP_SWEEP):  # or /health/ answers 503, which is its job
        heartbeat_beat(name=name)
    failures = []
    for url in _pages(case, task):
        for junk in JUNK:
            response = client.get(f"{url}?{junk}")
            if response.status_code >= 500:
                failures.append((url, junk, response.status_code))
    assert failures == []
