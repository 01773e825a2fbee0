"""Issue 17, tried as the demo users: the SOP and the owner where the work happens, and the cases
each role answers for (one policy: apps.cases.policy.case_visibility_filter)."""

import pytest
import time_machine
from rest_framework.test import APIClient
from viewflow.workflow.status import STATUS

from apps.cases.services import task_claim
from apps.definitions.selectors import version_live
from apps.definitions.services import definition_create, draft_create_from, version_publish
from apps.sla.sweeper import sla_sweep
from tests.conftest import task_for
from tests.sla.test_sweep import ESCALATE, START

SOP_V1 = "/workflows/purchase-approval/v1/sop/"
SOP_V2 = "/workflows/purchase-approval/v2/sop/"


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def publish_v2(users):
    draft = draft_create_from(version=version_live(key="purchase-approval"), actor=users["olivia"])
    version_publish(version=draft, actor=users["olivia"])


# --- The SOP where the work happens ------------------------------------------------------------


def test_alice_opens_the_sop_from_her_case(signed_in, start_purchase):
    case = start_purchase(amount="5000")
    client = signed_in("alice")
    assert f'href="{SOP_V1}"' in client.get(f"/cases/{case.pk}/").content.decode()

    page = client.get(SOP_V1)
    assert page.status_code == 200
    body = page.content.decode()
    assert "1. Purpose" in body and "3. Who approves what, when" in body and "Finance approval" in body
    markdown = client.get("/workflows/purchase-approval/v1/sop.md")
    assert markdown.status_code == 200 and markdown["Content-Type"].startswith("text/markdown")
    assert markdown.content.decode().startswith("# Purchase approval")
    # The builder stays the owners' (its own SOP page included).
    assert client.get("/builder/purchase-approval/versions/1/sop/").status_code == 403


def test_the_sop_of_the_cases_own_version_after_a_new_one_is_published(signed_in, start_purchase, users):
    case = start_purchase(amount="5000")
    task_claim(task_id=task_for(case, "Finance approval").pk, actor=users["fiona"])
    publish_v2(users)

    alice = signed_in("alice")
    assert f'href="{SOP_V1}"' in alice.get(f"/cases/{case.pk}/").content.decode()
    assert f'href="{SOP_V2}"' in alice.get("/requests/new/purchase-approval/").content.decode()
    assert alice.get(SOP_V1).status_code == 200, "her case is pinned to version 1"

    fiona = signed_in("fiona")
    task_page = fiona.get(f"/tasks/{task_for(case, 'Finance approval').pk}/").content.decode()
    assert f'href="{SOP_V1}"' in task_page
    assert fiona.get(SOP_V1).status_code == 200

    leo = signed_in("leo")  # no case on version 1: a stranger to it, not to the live one
    assert leo.get(SOP_V1).status_code == 403
    assert leo.get("/workflows/purchase-approval/v1/sop.md").status_code == 403
    assert leo.get(SOP_V2).status_code == 200


def test_a_test_case_on_a_draft_links_to_the_drafts_sop_in_the_builder(signed_in, demo):
    from tests.builder.test_sandbox import start_test_case

    olivia = signed_in("olivia")
    case = start_test_case(olivia)
    page = olivia.get(f"/cases/{case.pk}/").content.decode()
    assert 'href="/builder/purchase-approval/versions/draft/sop/"' in page and "(the draft:" in page
    assert olivia.get("/builder/purchase-approval/versions/draft/sop/").status_code == 200


@pytest.mark.parametrize(
    "url", ["/workflows/purchase-approval/v9/sop/", "/workflows/nothing/v1/sop/", "/workflows/nothing/v1/sop.md"]
)
def test_an_unknown_version_or_workflow_is_not_found(signed_in, url):
    assert signed_in("alice").get(url).status_code == 404


def test_the_sop_needs_sign_in(client, demo):
    response = client.get(SOP_V1)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- The owner, and a way to reach them ----------------------------------------------------------


def test_start_form_task_page_and_case_page_name_the_owner_with_an_email(signed_in, start_purchase):
    case = start_purchase(amount="500")
    alice = signed_in("alice")
    for url in ("/requests/new/purchase-approval/", f"/cases/{case.pk}/"):
        page = alice.get(url).content.decode()
        assert "Workflow owner" in page and "Olivia Owens" in page, url
        assert 'href="mailto:olivia@example.com?subject=' in page, url
    bob_task = signed_in("bob").get(f"/tasks/{task_for(case, 'Manager approval').pk}/").content.decode()
    assert "Olivia Owens" in bob_task and f"mailto:olivia@example.com?subject=Request%20%23{case.pk}" in bob_task


# --- Owners read every case of their workflows, and decide none of them ---------------------------


def test_olivia_reads_a_case_of_her_workflow_but_cannot_decide_it(signed_in, start_purchase, users):
    case = start_purchase(amount="5000")
    task = task_for(case, "Manager approval")
    olivia = signed_in("olivia")

    assert olivia.get(f"/cases/{case.pk}/").status_code == 200
    assert api(users["olivia"]).get(f"/api/v1/cases/{case.pk}/").status_code == 200
    listed = api(users["olivia"]).get("/api/v1/cases/").json()
    assert case.pk in [row["id"] for row in listed]

    page = olivia.get(f"/tasks/{task.pk}/").content.decode()
    assert "You cannot decide this task" in page and 'value="approve"' not in page
    assert olivia.post(f"/tasks/{task.pk}/decide/", {"decision": "approve"}).status_code == 403
    response = api(users["olivia"]).post(f"/api/v1/tasks/{task.pk}/complete/", {"decision": "approve"}, format="json")
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.status == STATUS.ASSIGNED and task.owner == users["bob"]


def test_an_owner_does_not_read_the_cases_of_a_workflow_someone_else_owns(signed_in, users):
    from apps.cases.services import case_start

    spec = {
        "fields": [{"name": "amount", "type": "decimal", "label": "Amount", "required": True}],
        "stages": [
            {"key": "approval", "name": "Approval", "approvers": [{"key": "legal", "type": "role", "role": "legal"}]}
        ],
    }
    version_publish(
        version=definition_create(key="admins", name="Admins", spec=spec, actor=users["admin"]), actor=users["admin"]
    )
    case, _ = case_start(workflow="admins", data={"amount": "5"}, actor=users["alice"])
    assert signed_in("olivia").get(f"/cases/{case.pk}/").status_code == 403
    assert api(users["olivia"]).get(f"/api/v1/cases/{case.pk}/").status_code == 403


# --- Whoever is asked to act on a case opens it -----------------------------------------------------


def test_oscar_opens_a_case_escalated_to_operators_that_has_no_automated_step(signed_in, start_purchase, users):
    """bob's request waits on carol, who has no manager to escalate to: the SLA sweep tells the
    operators. The case has no automated step, so only being asked lets oscar in."""
    with time_machine.travel(START, tick=False):
        case = start_purchase(actor=users["bob"], amount="500")
    assert signed_in("oscar").get(f"/cases/{case.pk}/").status_code == 403, "not asked yet"

    sla_sweep(at=ESCALATE)

    oscar = signed_in("oscar")
    page = oscar.get(f"/cases/{case.pk}/")
    assert page.status_code == 200 and "Automated steps" not in page.content.decode()
    assert api(users["oscar"]).get(f"/api/v1/cases/{case.pk}/").status_code == 200
    assert signed_in("frank").get(f"/cases/{case.pk}/").status_code == 403, "nobody asked frank"


# --- Managers: "My team" ----------------------------------------------------------------------------


@pytest.fixture
def legal_review(publish):
    """A workflow without a manager step: only the legal queue approves."""
    return publish(
        "legal-review",
        [{"key": "legal", "name": "Legal", "approvers": [{"key": "legal", "type": "role", "role": "legal"}]}],
    )


def test_a_managers_my_team_tab_lists_a_reports_open_request_and_task(signed_in, start_purchase, legal_review, users):
    from apps.cases.services import case_start

    request, _ = case_start(workflow=legal_review, data={"amount": "10"}, actor=users["alice"])  # bob's report
    purchase = start_purchase(amount="5000")
    finance = task_for(purchase, "Finance approval")
    task_claim(task_id=finance.pk, actor=users["fiona"])  # fiona reports to carol

    bob = signed_in("bob")
    assert bob.get(f"/cases/{request.pk}/").status_code == 200
    team = bob.get("/inbox/?tab=team").content.decode()
    assert "My team" in team and "Their open requests" in team
    assert f'href="/cases/{request.pk}/"' in team and "legal queue" in team

    carol = signed_in("carol")
    assert carol.get(f"/cases/{purchase.pk}/").status_code == 200, "fiona and bob hold its approvals"
    team = carol.get("/inbox/?tab=team").content.decode()
    assert f'href="/tasks/{finance.pk}/"' in team and "held by fiona" in team
    assert "Nobody who reports to you has an open request" in team
    assert f'href="/cases/{request.pk}/"' not in team, "alice does not report to carol"
    assert carol.get(f"/cases/{request.pk}/").status_code == 403


def test_who_manages_nobody_has_no_team_tab_and_a_stranger_still_gets_403(signed_in, legal_review, users):
    from apps.cases.services import case_start

    request, _ = case_start(workflow=legal_review, data={"amount": "10"}, actor=users["alice"])
    fiona = signed_in("fiona")
    inbox = fiona.get("/inbox/").content.decode()
    assert "My team" not in inbox
    assert "Their open requests" not in fiona.get("/inbox/?tab=team").content.decode(), "falls back to her tasks"
    assert fiona.get(f"/cases/{request.pk}/").status_code == 403
    assert api(users["fiona"]).get(f"/api/v1/cases/{request.pk}/").status_code == 403
    assert signed_in("bob").get("/inbox/").content.decode().count("My team") == 1
