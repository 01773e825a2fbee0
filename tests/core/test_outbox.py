"""A queue message that cannot be sent after commit never turns a committed change into an error."""

import logging

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from apps.notify.models import Notification
from apps.notify.services import notification_send


@pytest.mark.django_db(transaction=True)
def test_a_broker_away_after_commit_is_logged_and_the_notification_stays(monkeypatch, caplog):
    user = get_user_model().objects.create_user("mia", email="mia@example.com")

    def broker_away(*args, **kwargs):
        raise ConnectionError("broker away")

    monkeypatch.setattr("apps.notify.services.async_task", broker_away)
    with caplog.at_level(logging.ERROR, logger="django.db.backends.base"):
        with transaction.atomic():  # before: AttributeError ('functools.partial' has no __qualname__)
            notification_send(users=[user], kind="notice", subject="Hello", dedupe_key="outbox-test")
    assert Notification.objects.filter(user=user, subject="Hello").count() == 1
    assert "broker away" in caplog.text
