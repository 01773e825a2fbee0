"""Fixtures for the API contract tests: clients signed in as the demo users.

The demo organisation is seeded once for this package (through the same service as
`seed_demo`) and every test rolls back its own changes, which keeps the run fast. The package's
data is flushed again when its tests are done, so other packages start from an empty database.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from apps.audit.models import AuditEvent
from apps.cases.models import Case
from apps.demo.management.commands.seed_demo import seed_demo_data

PASSWORD = "demo"


@pytest.fixture(scope="package", autouse=True)
def _demo_org_for_the_package(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        seed_demo_data()
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def demo(db):
    """Overrides the root `demo`: the package's seed is already there (unless a transactional
    test flushed it, then it is seeded again)."""
    User = get_user_model()
    if not User.objects.filter(username="admin").exists():
        seed_demo_data()
    return {u.username: u for u in User.objects.all()}


def token_for(username: str, password: str = PASSWORD) -> str:
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


@pytest.fixture
def api(demo):
    """`api("alice")` is an APIClient authenticated with alice's API token; `api()` is anonymous."""
    clients = {}

    def client_for(username: str | None = None) -> APIClient:
        if username is None:
            return APIClient()
        if username not in clients:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(username)}")
            clients[username] = client
        return clients[username]

    return client_for


def start_case(client, *, key=None, **data):
    """Start a purchase-approval case through the API; returns the response."""
    values = {"amount": "500", "vendor": "ACME Ltd", "cost_center": "CC-100"}
    values.update(data)
    values = {k: v for k, v in values.items() if v is not None}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/v1/cases/", {"workflow": "purchase-approval", "data": values}, format="json", **headers)


def started(client, **data) -> dict:
    """Start a case through the API and return its body (asserting it was created)."""
    response = start_case(client, **data)
    assert response.status_code == 201, response.content
    return response.json()


def complete(client, task_id: int, **body):
    """POST a decision on a task; returns the response."""
    return client.post(f"/api/v1/tasks/{task_id}/complete/", body, format="json")


def task_named(case_body: dict, name: str) -> dict:
    matches = [t for t in case_body["open_tasks"] if t["name"] == name]
    assert matches, f"no open task {name!r}; open: {[t['name'] for t in case_body['open_tasks']]}"
    return matches[0]


def case_state(case_id: int) -> tuple:
    """What a user would notice about a case: status, outcome, audit trail length."""
    case = Case.objects.get(pk=case_id)
    return case.status_label, case.outcome, case.state, AuditEvent.objects.filter(case_id=case_id).count()
