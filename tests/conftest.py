"""Shared fixtures. Test data is built through the real services (seed_demo uses them too)."""

import os
import socket

import pytest
from django.contrib.auth import get_user_model

from .demo_snapshot import demo_seed


@pytest.fixture
def demo(db):
    """The demo organisation and the published purchase-approval workflow (seed_demo_data(), replayed
    after a process's first seed: tests/demo_snapshot.py)."""
    demo_seed()
    return {u.username: u for u in get_user_model().objects.all()}


@pytest.fixture
def users(demo):
    return demo


@pytest.fixture
def signed_in(client, users):
    """The test client signed in as one of `users` (the demo's, unless a package narrows them)."""

    def _as(username):
        client.force_login(users[username])
        return client

    return _as


@pytest.fixture
def start_purchase(demo):
    """Start a purchase-approval case as a user (alice by default)."""
    from apps.cases.services import case_start

    def start(actor=None, **data):
        values = {"amount": "500", "vendor": "ACME Ltd", "cost_center": "CC-100"}
        values.update(data)
        values = {k: v for k, v in values.items() if v is not None}
        case, _ = case_start(workflow="purchase-approval", data=values, actor=actor or demo["alice"])
        return case

    return start


def open_tasks(case):
    """Open human tasks of a case, oldest first."""
    from apps.cases.flows import CaseFlow
    from apps.cases.policy import OPEN_TASK_STATUSES

    return list(
        case.task_set.filter(status__in=OPEN_TASK_STATUSES, flow_task__in=[CaseFlow.approve, CaseFlow.rework])
        .select_related("owner")
        .order_by("id")
    )


def task_for(case, label):
    """The open task of a case with this label (e.g. 'Finance approval')."""
    matches = [t for t in open_tasks(case) if t.data.get("label") == label]
    assert matches, f"no open task {label!r}; open: {[t.data.get('label') for t in open_tasks(case)]}"
    return matches[0]


@pytest.fixture
def publish(demo):
    """Publish a small definition with the given stages (and optional fields); returns its key."""
    from apps.definitions.services import definition_create, version_publish

    def _publish(key, stages, fields=None):
        spec = {
            "fields": fields or [{"name": "amount", "type": "decimal", "label": "Amount", "required": True}],
            "stages": stages,
        }
        draft = definition_create(key=key, name=key.replace("-", " ").title(), spec=spec, actor=demo["olivia"])
        version_publish(version=draft, actor=demo["olivia"])
        return key

    return _publish


@pytest.fixture
def start(demo):
    """Start a case of any workflow."""
    from apps.cases.services import case_start

    def _start(workflow, actor=None, **data):
        case, _ = case_start(workflow=workflow, data=data, actor=actor or demo["alice"])
        return case

    return _start


def reload(case):
    from apps.cases.models import Case

    return Case.objects.get(pk=case.pk)


def events(case, action=None):
    from apps.audit.models import AuditEvent

    qs = AuditEvent.objects.filter(case_id=case.pk).order_by("at", "id")
    if action:
        qs = qs.filter(action=action)
    return list(qs)


@pytest.fixture
def connections(monkeypatch):
    """Every address a socket connects to (the outbound address rule's tests)."""
    made = []
    connect = socket.socket.connect

    def recording(sock, address):
        made.append(address)
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", recording)
    return made


@pytest.fixture(scope="session")
def ui_runner():
    """UI steps' own browser (apps.integrations.ui, Debian's Chromium in a thread of its own):
    started by the first test that runs a step, reused by the rest of the session, closed at its
    end. Without /usr/bin/chromium or playwright the test is skipped; with CI=true it fails."""
    import importlib.util

    from apps.integrations.ui import CHROMIUM, ui_browser_close

    problem = None
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        problem = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    elif importlib.util.find_spec("playwright") is None:
        problem = "the playwright package is not installed (pip install -r requirements.txt)"
    if problem:
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}:
            pytest.fail(f"UI step tests cannot run: {problem} (CI=true)", pytrace=False)
        pytest.skip(f"UI step tests skipped: {problem}")
    yield
    ui_browser_close()


@pytest.fixture
def ui_portal():
    """A small legacy portal (tests/integrations/ui_portal.py) on a local port, for UI steps."""
    from tests.integrations.ui_portal import Portal

    portal = Portal().start()
    yield portal
    portal.stop()
