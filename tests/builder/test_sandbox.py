"""Test cases stay in the sandbox (issue 12): started from the rule tester as if alice asked, the
case is held by the owner who started it, who can read and drive it; alice, bob and finance see
nothing of it and nobody is notified; no SLA clock, no webhook; it is TEST everywhere."""

from apps.audit.models import AuditEvent
from apps.cases.models import Case
from apps.cases.services import task_complete
from apps.definitions.models import DefinitionVersion
from apps.integrations.models import WebhookDelivery
from apps.integrations.services import subscription_create
from apps.notify.models import Notification
from apps.sla.models import SlaClock
from tests.conftest import open_tasks


def start_test_case(olivia):
    olivia.post("/builder/purchase-approval/versions/1/new-draft/")
    response = olivia.post(
        "/builder/purchase-approval/tester/",
        {"requester": "alice", "amount": "5000", "vendor": "ACME", "cost_center": "CC-1"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return Case.objects.get(is_test=True)


def test_a_test_case_touches_nobody_but_the_owner_who_started_it(signed_in, users, demo):
    subscription_create(actor=users["admin"], name="All", url="https://hooks.example.com/x", events=["task.created"])
    olivia = signed_in("olivia")
    case = start_test_case(olivia)

    assert case.requester == users["alice"] and case.started_by == users["olivia"] and case.version_number == 0
    tasks = open_tasks(case)
    assert {t.owner.username for t in tasks} == {"olivia"}  # held by her, for bob and for finance
    assert not Notification.objects.exists()
    assert not SlaClock.objects.filter(case_id=case.pk).exists()
    assert not WebhookDelivery.objects.exists()

    for outsider in ["alice", "bob", "fiona"]:
        client = signed_in(outsider)
        assert f"/cases/{case.pk}/" not in client.get("/requests/").content.decode()
        assert f"#{case.pk}<" not in client.get("/inbox/").content.decode()
        assert f"#{case.pk}<" not in client.get("/inbox/?tab=queue").content.decode()
        assert client.get(f"/cases/{case.pk}/").status_code == 403
        assert all(c["id"] != case.pk for c in client.get("/api/v1/cases/").json())

    olivia = signed_in("olivia")
    page = olivia.get(f"/cases/{case.pk}/").content.decode()
    assert "TEST" in page and "a test started by olivia, routed as if alice asked" in page
    assert "TEST" in olivia.get("/requests/").content.decode()
    home = olivia.get("/").content.decode()
    assert f'#{case.pk}</a></td><td>purchase-approval <span class="badge warn">TEST</span>' in home, "home marks it"
    history = signed_in("audrey").get(f"/cases/{case.pk}/history/")
    assert history.status_code == 200 and '<span class="badge warn">TEST</span></h1>' in history.content.decode()
    olivia = signed_in("olivia")
    assert olivia.get(f"/api/v1/cases/{case.pk}/").json()["test"] is True
    manager = next(t for t in tasks if t.data["label"] == "Manager approval")
    task_page = olivia.get(f"/tasks/{manager.pk}/").content.decode()
    assert "TEST" in task_page and "Decide this one as bob would" in task_page


def test_the_owner_drives_every_approval_to_the_end(signed_in, users, demo):
    case = start_test_case(signed_in("olivia"))
    for task in open_tasks(case):
        task_complete(task_id=task.pk, actor=users["olivia"], decision="approve")

    case.refresh_from_db()
    assert case.outcome == "approved"
    decided = AuditEvent.objects.filter(case_id=case.pk, action="task.decided")
    assert {e.actor_name for e in decided} == {"olivia"} and decided.count() == 2
    assert not Notification.objects.exists()
    assert DefinitionVersion.objects.filter(definition__key="purchase-approval", status="draft").exists()
