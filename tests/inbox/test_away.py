"""Out of office: delegation of new tasks, handover of open ones, decisions on behalf."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.cases.services import task_claim, task_complete
from apps.org.services import absence_set
from tests.conftest import task_for


@pytest.fixture
def bob_away(users):
    now = timezone.now()
    return absence_set(
        user=users["bob"],
        starts=now - timedelta(hours=1),
        ends=now + timedelta(days=5),
        delegate=users["carol"],
        actor=users["bob"],
    )


def test_new_tasks_go_to_the_delegate_and_decisions_are_on_behalf(bob_away, start_purchase, users):
    case = start_purchase()
    task = task_for(case, "Manager approval")
    assert task.owner == users["carol"] and task.data["on_behalf_of"] == "bob"
    assert "bob is away" in case.route["approvers"][0]["assignee_note"]
    task_complete(task_id=task.pk, actor=users["carol"], decision="approve")
    decided = AuditEvent.objects.get(case_id=case.pk, action="task.decided")
    assert decided.actor_name == "carol" and decided.context["on_behalf_of"] == "bob"


def test_the_delegate_is_told_whose_work_they_hold_in_the_inbox_and_on_the_task(bob_away, start_purchase, signed_in):
    task = task_for(start_purchase(), "Manager approval")
    carol = signed_in("carol")
    assert "for bob" in carol.get("/inbox/").content.decode()
    page = carol.get(f"/tasks/{task.pk}/").content.decode()
    assert "You hold this for <strong>bob</strong> while they are away" in page


def test_handover_moves_open_approvals_in_one_action(client, start_purchase, users):
    case = start_purchase()
    now = timezone.now()
    client.force_login(users["bob"])
    response = client.post(
        "/away/",
        {
            "starts": (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
            "ends": (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "delegate": users["frank"].pk,
        },
    )
    assert response.status_code == 302
    page = client.get("/away/").content.decode()
    assert "1 open approval still waits on you" in page
    response = client.post("/away/handover/", follow=True)
    assert "1 task(s) handed over to frank" in response.content.decode()
    task = task_for(case, "Manager approval")
    assert task.owner == users["frank"] and task.data["on_behalf_of"] == "bob"


def test_absence_form_refuses_bad_windows(client, users):
    client.force_login(users["bob"])
    now = timezone.now()
    response = client.post(
        "/away/",
        {
            "starts": now.strftime("%Y-%m-%dT%H:%M"),
            "ends": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "delegate": users["frank"].pk,
        },
    )
    assert response.status_code == 400 and "must end after it starts" in response.content.decode()


def test_a_deactivated_approver_does_not_strand_their_tasks(start_purchase, users):
    case = start_purchase()
    bob = users["bob"]
    bob.is_active = False
    bob.save()
    task = task_for(case, "Manager approval")
    assert task.owner == users["carol"], "no backup set: bob's manager takes over"
    assert AuditEvent.objects.filter(case_id=case.pk, action="task.reassigned").exists()


def test_leaving_a_role_puts_claimed_tasks_back_in_the_queue(start_purchase, users):
    case = start_purchase(amount="5000")
    finance = task_for(case, "Finance approval")
    task_claim(task_id=finance.pk, actor=users["fiona"])
    users["fiona"].groups.remove(Group.objects.get(name="finance"))
    finance.refresh_from_db()
    assert finance.owner is None and finance.owner_permission == "role:finance"


def test_handover_says_which_approvals_stayed_and_why(client, start_purchase, users):
    """fiona already holds the finance approval: bob's manager approval of the same stage stays his."""
    case = start_purchase(amount="5000")
    task_claim(task_id=task_for(case, "Finance approval").pk, actor=users["fiona"])
    now = timezone.now()
    absence_set(
        user=users["bob"],
        starts=now - timedelta(minutes=5),
        ends=now + timedelta(days=2),
        delegate=users["fiona"],
        actor=users["bob"],
    )
    client.force_login(users["bob"])
    page = client.post("/away/handover/", follow=True).content.decode()
    assert "0 task(s) handed over to fiona" in page
    assert "1 approval(s) stayed with you: fiona may not take them" in page
    assert task_for(case, "Manager approval").owner == users["bob"]
