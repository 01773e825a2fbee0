import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from apps.notify.services import notification_send
from apps.org import roles


@pytest.fixture
def users(db):
    """Just the people these tests need (the full demo seed would triple the package's time):
    staff with e-mail addresses, oscar the operator, and a superuser."""
    User = get_user_model()
    people = {
        name: User.objects.create_user(name, email=f"{name}@example.com")
        for name in ["alice", "bob", "carol", "fiona", "leo", "oscar"]
    }
    people["admin"] = User.objects.create_superuser("admin", "admin@example.com", None)
    Group.objects.get_or_create(name=roles.OPERATORS)[0].user_set.add(people["oscar"])
    return people


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
