"""Two workers delivering the same notification at the same moment mail it once (PostgreSQL)."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.test import override_settings

from apps.notify.models import Notification
from apps.notify.services import notification_deliver, notification_send
from tests.concurrency import POSTGRES_ONLY, run_together

pytestmark = POSTGRES_ONLY


@pytest.fixture
def pending(monkeypatch):
    # Leave delivery to the racing workers: nothing is queued after commit.
    monkeypatch.setattr("apps.notify.services._enqueue_delivery", lambda ids: None)
    bob = get_user_model().objects.create_user("bob", email="bob@example.com")
    with transaction.atomic():
        (notification,) = notification_send(users=[bob], kind="notice", subject="Hello", dedupe_key="race")
    return notification


@override_settings(EMAIL_BACKEND="tests.notify.backends.SlowBackend")
def test_concurrent_deliveries_send_once(pending):
    results = run_together(*[lambda: notification_deliver(notification_id=pending.pk)] * 4)
    assert not any(isinstance(r, Exception) for r in results), results
    assert len(mail.outbox) == 1
    assert sum(r is not None for r in results) == 1
    notification = Notification.objects.get(pk=pending.pk)
    assert notification.email_status == "sent" and notification.email_attempts == 1
