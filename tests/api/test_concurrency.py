"""Concurrent API requests on PostgreSQL: an idempotent start creates one case, a task is
decided once."""

import pytest

from apps.audit.models import AuditEvent
from apps.cases.models import Case
from tests.api.conftest import start_case, started, task_named
from tests.concurrency import POSTGRES_ONLY, run_together

pytestmark = POSTGRES_ONLY


@pytest.mark.parametrize("attempt", range(2))
def test_concurrent_posts_with_one_idempotency_key_start_one_case(api, attempt):
    client = api("alice")
    key = f"race-{attempt}"
    responses = run_together(*[lambda: start_case(client, key=key, amount="1500")] * 2)

    assert [getattr(r, "status_code", r) for r in responses] == [201, 201], responses
    assert len({r.json()["id"] for r in responses}) == 1
    assert sorted(r.get("Idempotent-Replayed", "") for r in responses) == ["", "true"]
    assert Case.objects.filter(idempotency_key=key).count() == 1
    case = Case.objects.get(idempotency_key=key)
    assert AuditEvent.objects.filter(case_id=case.pk, action="case.started").count() == 1
    assert {t.data.get("label") for t in case.task_set.filter(status__in=["NEW", "ASSIGNED"])} == {
        "Manager approval",
        "Finance approval",
    }


def test_concurrent_completions_of_one_task_decide_it_once(api):
    case = started(api("alice"))
    task_id = task_named(case, "Manager approval")["id"]
    bob = api("bob")
    responses = run_together(
        lambda: bob.post(f"/api/v1/tasks/{task_id}/complete/", {"decision": "approve"}, format="json"),
        lambda: bob.post(f"/api/v1/tasks/{task_id}/complete/", {"decision": "reject", "reason": "no"}, format="json"),
    )
    assert sorted(getattr(r, "status_code", r) for r in responses) == [200, 409], responses
    winner = next(r for r in responses if r.status_code == 200).json()
    body = api("alice").get(f"/api/v1/cases/{case['id']}/").json()
    assert body["status"] == "closed"
    assert body["outcome"] == ("approved" if winner["decision"] == "approve" else "rejected")
    assert len([h for h in body["history"] if h["action"] == "task.decided"]) == 1
    assert len([h for h in body["history"] if h["action"] == "case.closed"]) == 1


def test_two_finance_members_claiming_at_once_one_wins(api):
    case = started(api("alice"), amount="5000")
    task_id = task_named(case, "Finance approval")["id"]
    fiona, frank = api("fiona"), api("frank")
    responses = run_together(
        lambda: fiona.post(f"/api/v1/tasks/{task_id}/claim/"),
        lambda: frank.post(f"/api/v1/tasks/{task_id}/claim/"),
    )
    assert sorted(getattr(r, "status_code", r) for r in responses) == [200, 403], responses
    winner = next(r for r in responses if r.status_code == 200).json()["assignee"]
    body = api("alice").get(f"/api/v1/cases/{case['id']}/").json()
    assert task_named(body, "Finance approval")["assignee"] == winner
    assert [h["actor"] for h in body["history"] if h["action"] == "task.claimed"] == [winner]
