import pytest
from django.db import transaction

from apps.notify.services import notification_send


@pytest.fixture
def notify(django_capture_on_commit_callbacks):
    """Send a notification in its own transaction and run the after-commit delivery, as a
    committed service call would (q2 runs tasks synchronously in tests)."""

    def _notify(users, *, dedupe_key="task:1:assigned", kind="task_assigned", **fields):
        fields.setdefault("subject", "Manager approval waits for you")
        fields.setdefault("url", "/tasks/1/")
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            return notification_send(users=users, kind=kind, dedupe_key=dedupe_key, **fields)

    return _notify
