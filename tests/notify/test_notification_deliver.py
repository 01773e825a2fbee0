"""notification_deliver and the retry sweep: failures back off, give up after five attempts,
and no notification is ever mailed twice."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from apps.notify.models import Notification
from apps.notify.services import (
    BACKOFF_MINUTES,
    MAX_ATTEMPTS,
    MSG_INACTIVE,
    notification_deliver,
    notification_retry_due,
    notification_send,
)
from apps.notify.tasks import deliver, retry_due
from tests.notify.backends import FlakyBackend

FAILING = "tests.notify.backends.FailingBackend"


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    def _sweep(at):
        with django_capture_on_commit_callbacks(execute=True):
            return notification_retry_due(at=at)

    return _sweep


def _reload(notification):
    return Notification.objects.get(pk=notification.pk)


def _close_to(moment, expected):
    return abs((moment - expected).total_seconds()) < 30


@override_settings(EMAIL_BACKEND=FAILING)
def test_a_failed_email_is_retried_with_backoff_then_given_up(notify, users, sweep):
    (notification,) = notify([users["bob"]])
    for attempt in range(1, MAX_ATTEMPTS + 1):
        notification = _reload(notification)
        assert notification.email_status == "failed" and notification.email_attempts == attempt
        assert notification.email_last_error.startswith("SMTPConnectError: (421")
        if attempt < MAX_ATTEMPTS:
            wait = timedelta(minutes=BACKOFF_MINUTES[attempt - 1])
            assert _close_to(notification.next_attempt_at, timezone.now() + wait)
            assert sweep(notification.next_attempt_at - timedelta(seconds=1)) == 0, "not due yet"
            assert sweep(notification.next_attempt_at) == 1
    assert notification.next_attempt_at is None and notification.gave_up
    assert sweep(timezone.now() + timedelta(days=1)) == 0
    assert mail.outbox == []


def test_a_flaky_server_delivers_on_the_retry(notify, users, sweep):
    FlakyBackend.failures = 1
    with override_settings(EMAIL_BACKEND="tests.notify.backends.FlakyBackend"):
        (notification,) = notify([users["bob"]])
        assert _reload(notification).email_status == "failed" and mail.outbox == []
        assert sweep(timezone.now() + timedelta(minutes=1)) == 1
    notification = _reload(notification)
    assert notification.email_status == "sent" and notification.email_attempts == 2
    assert notification.next_attempt_at is None and notification.email_sent_at is not None
    assert len(mail.outbox) == 1


def test_delivering_twice_sends_once(notify, users):
    (notification,) = notify([users["bob"]])
    assert notification_deliver(notification_id=notification.pk) is None
    deliver([notification.pk, notification.pk, 999_999])
    assert len(mail.outbox) == 1 and _reload(notification).email_attempts == 1


def test_a_lost_queue_message_is_swept_up(users, sweep, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        (notification,) = notification_send(users=[users["bob"]], kind="notice", subject="x", dedupe_key="k")
    assert sweep(timezone.now()) == 0, "the queued delivery gets its chance first"
    assert sweep(timezone.now() + timedelta(minutes=6)) == 1
    assert _reload(notification).email_status == "sent" and len(mail.outbox) == 1


def test_the_sweep_leases_what_it_queued(users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        notification_send(users=[users["bob"]], kind="notice", subject="x", dedupe_key="k")
    later = timezone.now() + timedelta(minutes=6)
    with django_capture_on_commit_callbacks(execute=False):
        assert notification_retry_due(at=later) == 1
    with django_capture_on_commit_callbacks(execute=False):
        assert notification_retry_due(at=later) == 0, "queued once, not on every sweep"


def test_a_user_deactivated_before_delivery_is_skipped(users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        (notification,) = notification_send(users=[users["bob"]], kind="notice", subject="x", dedupe_key="k")
    users["bob"].is_active = False
    users["bob"].save()
    deliver([notification.pk])
    notification = _reload(notification)
    assert notification.email_status == "skipped" and notification.email_last_error == MSG_INACTIVE
    assert mail.outbox == []


def test_the_scheduled_task_runs_the_sweep(users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        notification_send(users=[users["bob"]], kind="notice", subject="x", dedupe_key="k")
    Notification.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert retry_due() == 1
    assert len(mail.outbox) == 1
