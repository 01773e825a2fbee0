"""The portal under stress and tricks: a lock that times out is a clear "try again" (409), never a
500; `next` never sends anyone off the site; every portal page goes through the one error mapping."""

from contextlib import contextmanager

import pytest
from django.urls import URLResolver, get_resolver
from rest_framework.test import APIClient
from viewflow.workflow.exceptions import FlowLockFailed

from apps.cases.flows import CaseFlow
from apps.cases.services import MSG_BUSY
from tests.conftest import task_for

HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/inbox/?tab=queue"}


@pytest.fixture
def lock_times_out(monkeypatch):
    """From the call on, every case lock fails as PostgreSQL's lock_timeout makes it fail while
    someone else holds the case."""

    @contextmanager
    def timed_out(process_pk):
        raise FlowLockFailed("Lock timeout")
        yield  # pragma: no cover

    return lambda: monkeypatch.setattr(CaseFlow, "lock", timed_out)


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_a_lock_timeout_on_a_plain_form_is_a_message_on_the_page_one_came_from(
    signed_in, start_purchase, lock_times_out
):
    task = task_for(start_purchase(amount="5000"), "Finance approval")
    fiona = signed_in("fiona")
    lock_times_out()
    response = fiona.post(f"/tasks/{task.pk}/claim/", HTTP_REFERER="http://testserver/inbox/?tab=queue")
    assert (response.status_code, response["Location"]) == (302, "http://testserver/inbox/?tab=queue")
    assert MSG_BUSY in messages_of(fiona.get(response["Location"]))
    task.refresh_from_db()
    assert task.owner is None


def test_a_lock_timeout_on_a_decision_keeps_the_task_open(signed_in, start_purchase, lock_times_out):
    task = task_for(start_purchase(), "Manager approval")
    lock_times_out()
    response = signed_in("bob").post(f"/tasks/{task.pk}/decide/", {"decision": "approve"}, follow=True)
    assert response.status_code == 200 and MSG_BUSY in messages_of(response)
    task.refresh_from_db()
    assert task.status != "DONE"


def test_a_lock_timeout_for_htmx_is_a_409_that_sends_the_page_back_with_the_message(
    signed_in, start_purchase, lock_times_out
):
    task = task_for(start_purchase(amount="5000"), "Finance approval")
    fiona = signed_in("fiona")
    lock_times_out()
    response = fiona.post(f"/tasks/{task.pk}/claim/", **HX)
    assert response.status_code == 409 and response.content.decode() == MSG_BUSY
    assert response["HX-Redirect"] == "http://testserver/inbox/?tab=queue"
    assert MSG_BUSY in messages_of(fiona.get("/inbox/?tab=queue"))


def test_a_lock_timeout_in_the_api_is_a_409_with_the_same_words(demo, start_purchase, lock_times_out):
    task = task_for(start_purchase(amount="5000"), "Finance approval")
    client = APIClient()
    client.force_authenticate(demo["fiona"])
    lock_times_out()
    response = client.post(f"/api/v1/tasks/{task.pk}/claim/")
    assert (response.status_code, response.json()) == (409, {"detail": MSG_BUSY})


@pytest.mark.parametrize(
    "target",
    ["https://elsewhere.example/", "//elsewhere.example/inbox/", "http:/\\elsewhere.example/", "javascript:alert(1)"],
)
def test_next_after_a_refused_claim_never_leaves_the_site(signed_in, start_purchase, target):
    task = task_for(start_purchase(), "Manager approval")
    bob = signed_in("bob")
    bob.post(f"/tasks/{task.pk}/decide/", {"decision": "approve"})
    response = bob.post(f"/tasks/{task.pk}/claim/", {"next": target})  # already decided: refused
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    htmx = bob.post(f"/tasks/{task.pk}/claim/", {"next": target}, HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"] == "/inbox/"


def test_next_inside_the_site_is_still_followed(signed_in, start_purchase):
    task = task_for(start_purchase(), "Manager approval")
    bob = signed_in("bob")
    bob.post(f"/tasks/{task.pk}/decide/", {"decision": "approve"})
    response = bob.post(f"/tasks/{task.pk}/claim/", {"next": "/inbox/?tab=queue"})
    assert response["Location"] == "/inbox/?tab=queue"


def _portal_views(resolver=None, prefix=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _portal_views(pattern, route)
        elif not route.startswith(
            (
                "admin/",
                "api/",
                "accounts/",
                "demo/erp/invoices",
                "demo/erp/access/",
                "demo/erp/policy-exceptions/",
                "demo/erp/reports",
                "demo/tickets/api/",
            )
        ):
            yield route, pattern.callback


def test_every_portal_page_maps_service_errors_in_the_one_place():
    """A new page that forgets the mapping would turn the next refusal into a 500."""
    unmapped = [route for route, view in _portal_views() if not getattr(view, "maps_service_errors", False)]
    assert unmapped == []
