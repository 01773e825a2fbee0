"""The notifications page, the header badge, and the operators' failed e-mail page."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from apps.notify.models import Notification
from apps.notify.services import notification_send
from apps.portal.views.notify import MSG_FAILED_FORBIDDEN

FAILING = "tests.notify.backends.FailingBackend"


@pytest.mark.parametrize("url", ["/notifications/", "/notifications/failed/"])
def test_pages_need_sign_in(client, users, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_empty_state(signed_in):
    page = signed_in("bob").get("/notifications/").content.decode()
    assert "No notifications yet." in page and "Mark all read" not in page


def test_list_shows_unread_first_then_newest(signed_in, notify, users):
    old, new, read = (
        notify([users["bob"]], dedupe_key=key, subject=subject)[0]
        for key, subject in [("a", "Old unread"), ("b", "New unread"), ("c", "Read one")]
    )
    Notification.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=1))
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    notify([users["carol"]], dedupe_key="d", subject="Not for bob")
    page = signed_in("bob").get("/notifications/").content.decode()
    positions = [page.index(subject) for subject in ["New unread", "Old unread", "Read one"]]
    assert positions == sorted(positions)
    assert "Not for bob" not in page and "Mark all read" in page
    assert f'hx-post="/notifications/{new.pk}/open/"' in page and 'href="/tasks/1/"' in page


def test_list_is_paginated(signed_in, users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():  # no e-mail needed
        for n in range(30):
            notification_send(users=[users["bob"]], kind="notice", subject=f"Note {n}", dedupe_key=f"k{n}")
    page = signed_in("bob").get("/notifications/?page=2").content.decode()
    assert page.count('<tr id="notification-') == 5 and "Page 2 of 2" in page


def test_mark_read_with_htmx_returns_the_row_and_the_badge(signed_in, notify, users):
    first, _ = (notify([users["bob"]], dedupe_key=k)[0] for k in ("a", "b"))
    response = signed_in("bob").post(f"/notifications/{first.pk}/read/", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and f'id="notification-{first.pk}"' in body and "Mark read" not in body
    assert 'id="notify-badge" hx-swap-oob="true"' in body and ">1</span>" in body
    assert Notification.objects.get(pk=first.pk).read_at is not None


def test_mark_read_without_htmx_redirects_to_the_list(signed_in, notify, users):
    (notification,) = notify([users["bob"]])
    response = signed_in("bob").post(f"/notifications/{notification.pk}/read/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"


def test_opening_a_notification_marks_it_read_and_follows_its_link(signed_in, notify, users):
    (notification,) = notify([users["bob"]], url="/cases/5/")
    client = signed_in("bob")
    response = client.post(f"/notifications/{notification.pk}/open/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == "/cases/5/"
    assert Notification.objects.get(pk=notification.pk).read_at is not None
    assert client.post(f"/notifications/{notification.pk}/open/")["Location"] == "/cases/5/"


def test_someone_elses_notification_is_not_found(signed_in, notify, users):
    (notification,) = notify([users["carol"]])
    client = signed_in("bob")
    assert client.post(f"/notifications/{notification.pk}/read/").status_code == 404
    assert client.post(f"/notifications/{notification.pk}/open/").status_code == 404
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_mark_read_needs_post(signed_in, notify, users):
    (notification,) = notify([users["bob"]])
    assert signed_in("bob").get(f"/notifications/{notification.pk}/read/").status_code == 405


def test_mark_all_read(signed_in, notify, users):
    for key in "abc":
        notify([users["bob"], users["carol"]], dedupe_key=key)
    client = signed_in("bob")
    response = client.post("/notifications/read-all/", follow=True)
    assert "All notifications marked read." in response.content.decode()
    assert not Notification.objects.filter(user=users["bob"], read_at__isnull=True).exists()
    assert Notification.objects.filter(user=users["carol"], read_at__isnull=True).count() == 3
    assert client.post("/notifications/read-all/", HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"


def test_header_badge_counts_unread(signed_in, notify, users):
    for key in "abc":
        notify([users["bob"]], dedupe_key=key)
    Notification.objects.filter(dedupe_key="a").update(read_at=timezone.now())
    page = signed_in("bob").get("/inbox/").content.decode()
    assert 'href="/notifications/"' in page and '<span class="count" title="2 unread">2</span>' in page
    page = signed_in("carol").get("/inbox/").content.decode()
    assert 'href="/notifications/"' in page and 'title="0 unread"' not in page and "unread" not in page


def test_header_badge_costs_one_query_and_none_for_anonymous(rf, users, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser
    from django.template import Context, Template

    from apps.notify.context_processors import notifications

    request = rf.get("/")
    request.user = users["bob"]
    with django_assert_num_queries(0):
        context = notifications(request)
    with django_assert_num_queries(1):
        Template('{% include "notify/_badge.html" %}{{ unread_notifications }}').render(Context(context))
    request.user = AnonymousUser()
    assert notifications(request) == {}


def test_anonymous_pages_run_no_notification_query(client, users):
    page = client.get("/accounts/login/").content.decode()
    assert "notify-badge" not in page and "Notifications" not in page


@override_settings(EMAIL_BACKEND=FAILING)
def test_failed_list_is_for_operators_and_admins(signed_in, notify, users):
    notify([users["alice"]], subject="Your request was approved")
    bob = signed_in("bob")
    response = bob.get("/notifications/failed/")
    assert response.status_code == 403 and MSG_FAILED_FORBIDDEN in response.content.decode()
    assert "Failed e-mails" not in bob.get("/notifications/").content.decode()
    for username in ("oscar", "admin"):
        page = signed_in(username).get("/notifications/failed/").content.decode()
        assert "Your request was approved" in page and "alice@example.com" in page
        assert "SMTPConnectError" in page and "Retry now" in page
    assert "Failed e-mails" in signed_in("oscar").get("/notifications/").content.decode()


def test_failed_list_empty_state(signed_in):
    assert "No failed e-mails" in signed_in("oscar").get("/notifications/failed/").content.decode()


def test_retry_now(signed_in, notify, users, django_capture_on_commit_callbacks):
    with override_settings(EMAIL_BACKEND=FAILING):
        (notification,) = notify([users["alice"]])
    oscar = signed_in("oscar")
    with django_capture_on_commit_callbacks(execute=True):
        response = oscar.post(f"/notifications/failed/{notification.pk}/retry/", follow=True)
    assert "E-mail to alice queued again." in response.content.decode()
    notification.refresh_from_db()
    assert notification.email_status == "sent" and notification.email_attempts == 2
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    response = oscar.post(f"/notifications/failed/{notification.pk}/retry/", follow=True)
    assert "not waiting for a retry" in response.content.decode() and len(mail.outbox) == 1


@override_settings(EMAIL_BACKEND=FAILING)
def test_retry_now_with_htmx_returns_the_row_and_bob_cannot(signed_in, notify, users):
    (notification,) = notify([users["alice"]])
    response = signed_in("bob").post(f"/notifications/failed/{notification.pk}/retry/", HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    response = signed_in("oscar").post(f"/notifications/failed/{notification.pk}/retry/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and f'id="failed-{notification.pk}"' in response.content.decode()
    assert Notification.objects.get(pk=notification.pk).email_status == "pending"
