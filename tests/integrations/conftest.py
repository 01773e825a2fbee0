from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from apps.integrations.policy import INTEGRATORS
from apps.integrations.services import event_publish, subscription_create
from apps.org import roles


@pytest.fixture
def users(db):
    """Just the people these tests need: bob (nobody special), oscar the operator, ivan the
    integrator, and a superuser. The demo seed would triple the package's time."""
    User = get_user_model()
    people = {name: User.objects.create_user(name, email=f"{name}@example.com") for name in ["bob", "oscar", "ivan"]}
    people["admin"] = User.objects.create_superuser("admin", "admin@example.com", None)
    Group.objects.get_or_create(name=roles.OPERATORS)[0].user_set.add(people["oscar"])
    Group.objects.get_or_create(name=INTEGRATORS)[0].user_set.add(people["ivan"])
    return people


@pytest.fixture
def receiver(httpserver):
    """The path a test's receiver listens on; `httpserver` answers what the test expects."""
    return httpserver.url_for("/hook")


@pytest.fixture
def subscribe(users, receiver):
    def _subscribe(events=("task.completed",), url=None, **fields):
        return subscription_create(
            actor=users["ivan"], name=fields.pop("name", "ERP"), url=url or receiver, events=list(events), **fields
        )

    return _subscribe


@pytest.fixture
def case():
    """What event_publish reads from a case (a real one is used in test_event_publish)."""
    return SimpleNamespace(
        pk=41, workflow_key="purchase-approval", version_number=3, status_label="open", outcome=None, state="approval"
    )


@pytest.fixture
def task():
    return SimpleNamespace(pk=7, data={"label": "Finance approval", "kind": "approval", "decision": "approve"})


@pytest.fixture
def publish(django_capture_on_commit_callbacks, case, task):
    """Publish an event in its own transaction and run the after-commit delivery, as a
    committed service call would (q2 runs tasks synchronously in tests)."""

    def _publish(name="task.completed", *, data=None, with_task=True):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            return event_publish(name=name, case=case, task=task if with_task else None, data=data)

    return _publish


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """Run the retry sweep at a moment and the deliveries it queues."""
    from apps.integrations.services import webhook_retry_due

    def _sweep(at):
        with django_capture_on_commit_callbacks(execute=True):
            return webhook_retry_due(at=at)

    return _sweep
