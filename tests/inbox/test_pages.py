"""Every portal page: who may see it, what it shows, and its empty states."""

import pytest

from apps.cases.services import task_complete
from tests.conftest import task_for


@pytest.mark.parametrize(
    "url", ["/", "/inbox/", "/requests/", "/requests/new/", "/requests/new/purchase-approval/", "/audit/cases/"]
)
def test_pages_need_sign_in(client, demo, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_sign_in_page_signs_in_and_shows_who_and_roles(client, demo):
    page = client.get("/accounts/login/")
    assert b"Sign in" in page.content
    response = client.post("/accounts/login/", {"username": "fiona", "password": "demo"}, follow=True)
    assert response.status_code == 200
    assert b'class="user">fiona<' in response.content and b">finance<" in response.content
    assert b"Sign out" in response.content


def test_wrong_password_is_refused_with_a_message(client, demo):
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200 and b"did not match" in response.content


def test_sign_out_returns_to_sign_in(signed_in):
    client = signed_in("alice")
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302


def test_home_shows_my_tasks_requests_and_role_queues(signed_in, start_purchase, users):
    start_purchase(amount="5000")
    bob = signed_in("bob")
    assert b"Manager approval" in bob.get("/").content
    fiona = signed_in("fiona")
    page = fiona.get("/").content.decode()
    assert "1 task to claim" in page and "Nothing is waiting for you" in page
    alice = signed_in("alice")
    assert "purchase-approval" in alice.get("/").content.decode()


def test_home_empty_states(signed_in):
    page = signed_in("carol").get("/").content.decode()
    assert "Nothing is waiting for you" in page and "You have no open requests" in page


def test_start_page_lists_published_workflows(signed_in):
    page = signed_in("alice").get("/requests/new/").content.decode()
    assert "Purchase approval" in page and "/requests/new/purchase-approval/" in page


def test_generated_form_has_the_versions_fields(signed_in):
    page = signed_in("alice").get("/requests/new/purchase-approval/").content.decode()
    for name in ["amount", "vendor", "vendor_risk", "cost_center", "description", "attachments"]:
        assert f'name="{name}"' in page
    assert 'type="number"' in page and "<select" in page and "Required before Approval." in page
    assert "Total amount including tax." in page  # help text


def test_unknown_workflow_form_is_404(signed_in):
    assert signed_in("alice").get("/requests/new/no-such-thing/").status_code == 404


def test_inbox_tabs_show_the_right_tasks_and_empty_states(signed_in, start_purchase):
    start_purchase(amount="5000")
    fiona = signed_in("fiona")
    assigned = fiona.get("/inbox/").content.decode()
    assert "Nothing is assigned to you right now" in assigned
    queue = fiona.get("/inbox/?tab=queue").content.decode()
    assert "Finance approval" in queue and ">Claim<" in queue
    done = fiona.get("/inbox/?tab=done").content.decode()
    assert "You have not decided any task yet" in done


def test_inbox_filters_by_workflow_and_returns_only_the_table_to_htmx(signed_in, start_purchase):
    start_purchase(amount="5000")
    bob = signed_in("bob")
    fragment = bob.get("/inbox/?workflow=purchase-approval", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="inbox-table")
    body = fragment.content.decode()
    assert "Manager approval" in body and "<html" not in body
    other = bob.get("/inbox/?workflow=other-flow").content.decode()
    assert "Manager approval" not in other and "Filtered by other-flow" in other


def test_task_page_explains_the_route_in_plain_words(signed_in, start_purchase):
    case = start_purchase(amount="5000")
    fiona = signed_in("fiona")
    page = fiona.get(f"/tasks/{task_for(case, 'Finance approval').pk}/").content.decode()
    assert "Finance approval</strong>: Amount 5,000 &gt;= 1,000" in page
    assert "Legal review</strong> does not apply: Vendor risk = high (it is low)" in page
    assert "Parallel approvals" in page and "Manager approval" in page
    assert 'name="reason_code"' in page and "Over budget" in page
    assert ">Approve<" in page and ">Reject<" in page and ">Return to requester<" in page


def test_task_page_of_someone_elses_case_is_403(signed_in, start_purchase):
    case = start_purchase(amount="5000")
    assert signed_in("leo").get(f"/tasks/{task_for(case, 'Manager approval').pk}/").status_code == 403


def test_an_operator_opens_a_task_to_reassign_it_but_cannot_decide_it(signed_in, start_purchase, users):
    case = start_purchase(amount="5000")
    task = task_for(case, "Manager approval")
    oscar = signed_in("oscar")
    page = oscar.get(f"/tasks/{task.pk}/").content.decode()
    assert 'id="reassign"' in page and ">Approve<" not in page

    refused = oscar.post(f"/tasks/{task.pk}/reassign/", {"reassign-to": "alice", "reassign-reason": "She knows."})
    assert refused.status_code == 400 and "requested this case" in refused.content.decode()
    moved = oscar.post(f"/tasks/{task.pk}/reassign/", {"reassign-to": "carol", "reassign-reason": "Bob is away."})
    assert moved.status_code == 302
    task.refresh_from_db()
    assert task.owner == users["carol"]
    followed = oscar.get(moved["Location"]).content.decode()
    assert "moved to carol" in followed


def test_bob_cannot_reassign_his_own_task_away(signed_in, start_purchase):
    task = task_for(start_purchase(amount="5000"), "Manager approval")
    bob = signed_in("bob")
    assert 'id="reassign"' not in bob.get(f"/tasks/{task.pk}/").content.decode()
    response = bob.post(f"/tasks/{task.pk}/reassign/", {"reassign-to": "carol", "reassign-reason": "Busy."})
    assert response.status_code == 403


def test_task_page_is_read_only_for_a_viewer_who_cannot_act(signed_in, start_purchase):
    case = start_purchase(amount="5000")
    page = signed_in("audrey").get(f"/tasks/{task_for(case, 'Manager approval').pk}/").content.decode()
    assert "You cannot decide this task" in page and ">Approve<" not in page


def test_rework_task_highlights_what_is_missing(signed_in, start_purchase):
    case = start_purchase(amount="5000", cost_center=None)
    page = signed_in("alice").get(f"/tasks/{task_for(case, 'Rework: complete the request').pk}/").content.decode()
    assert 'class="field missing"' in page and "Cost center required before Approval" in page
    assert ">Resubmit<" in page


def test_case_page_shows_status_version_timeline_and_owners(signed_in, start_purchase, users):
    case = start_purchase(amount="5000")
    task_complete(task_id=task_for(case, "Manager approval").pk, actor=users["bob"], decision="approve")
    page = signed_in("alice").get(f"/cases/{case.pk}/").content.decode()
    assert "version 1 (pinned)" in page and "Waiting for approval" in page
    assert "Finance approval</a> (finance queue, due " in page
    for text in ["Case started", "Task created", "Decision recorded", "bob", "alice"]:
        assert text in page
    assert ">Withdraw request<" in page


def test_case_page_hides_withdraw_from_approvers_and_history_link_from_non_auditors(signed_in, start_purchase):
    case = start_purchase()
    bob_page = signed_in("bob").get(f"/cases/{case.pk}/").content.decode()
    assert ">Withdraw request<" not in bob_page and "Field-level history" not in bob_page
    audrey_page = signed_in("audrey").get(f"/cases/{case.pk}/").content.decode()
    assert "Field-level history" in audrey_page


def test_case_page_is_403_for_outsiders_and_404_when_missing(signed_in, start_purchase):
    case = start_purchase()
    assert signed_in("leo").get(f"/cases/{case.pk}/").status_code == 403
    assert signed_in("leo").get("/cases/999999/").status_code == 404


def test_auditor_search_filters_and_links_to_cases(signed_in, start_purchase, users):
    approved = start_purchase(amount="100")
    task_complete(task_id=task_for(approved, "Manager approval").pk, actor=users["bob"], decision="approve")
    open_case = start_purchase(actor=users["frank"], amount="200")
    audrey = signed_in("audrey")
    page = audrey.get("/audit/cases/?workflow=purchase-approval&outcome=approved").content.decode()
    assert f"/cases/{approved.pk}/" in page and f"/cases/{open_case.pk}/" not in page
    page = audrey.get("/audit/cases/?requester=frank&status=open").content.decode()
    assert f"/cases/{open_case.pk}/" in page and f"/cases/{approved.pk}/" not in page
    assert "No case matches" in audrey.get("/audit/cases/?requester=nobody").content.decode()


def test_auditor_search_is_only_for_auditors_and_admins(signed_in):
    assert signed_in("alice").get("/audit/cases/").status_code == 403
    assert signed_in("admin").get("/audit/cases/").status_code == 200


def test_field_level_history_shows_who_changed_which_field(signed_in, start_purchase, users):
    case = start_purchase(amount="5000", cost_center=None)
    task_complete(
        task_id=task_for(case, "Rework: complete the request").pk,
        actor=users["alice"],
        decision="submit",
        data={"cost_center": "CC-42"},
    )
    page = signed_in("audrey").get(f"/cases/{case.pk}/history/").content.decode()
    assert "<td>Cost center</td>" in page and "CC-42" in page and "Resubmitted by alice" in page
    assert signed_in("alice").get(f"/cases/{case.pk}/history/").status_code == 403


def test_my_requests_lists_every_request_of_mine(signed_in, start_purchase, users):
    mine = start_purchase()
    theirs = start_purchase(actor=users["frank"])
    page = signed_in("alice").get("/requests/").content.decode()
    assert f"/cases/{mine.pk}/" in page and f"/cases/{theirs.pk}/" not in page


def test_task_and_inbox_show_when_work_is_due(signed_in, start_purchase):
    case = start_purchase()
    bob = signed_in("bob")
    task_page = bob.get(f"/tasks/{task_for(case, 'Manager approval').pk}/").content.decode()
    assert " · due " in task_page and " · next: remind on " in task_page
    inbox = bob.get("/inbox/?sort=due").content.decode()
    assert "Due soonest" in inbox and "overdue" not in inbox


def test_inbox_shows_waiting_time_in_business_hours(signed_in, start_purchase):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    berlin = ZoneInfo("Europe/Berlin")
    with time_machine.travel(datetime(2027, 1, 8, 16, 0, tzinfo=berlin), tick=False):  # Friday 16:00
        start_purchase()
    with time_machine.travel(datetime(2027, 1, 11, 10, 0, tzinfo=berlin), tick=False):  # Monday 10:00
        page = signed_in("bob").get("/inbox/").content.decode()
    assert "2.0 business h" in page, "Friday 16-17 and Monday 9-10; the weekend does not count"


def test_auditor_search_filters_by_every_outcome(signed_in, start_purchase, users):
    """Issue 12: cancelled and failed cases could not be found by their outcome."""
    from apps.audit.models import Action
    from apps.cases.models import CaseState, Outcome
    from apps.cases.services import case_close, case_locked

    cancelled = start_purchase(amount="100")
    with case_locked(cancelled.pk, users["oscar"]) as case:
        case_close(
            case=case,
            actor=users["oscar"],
            state=CaseState.CANCELLED,
            outcome=Outcome.CANCELLED,
            reason="Vendor gone",
            action=Action.CASE_CANCELLED,
        )
    audrey = signed_in("audrey")
    page = audrey.get("/audit/cases/").content.decode()
    for value in ["cancelled", "failed", "auto_closed", "withdrawn"]:
        assert f'value="{value}"' in page
    assert f"/cases/{cancelled.pk}/" in audrey.get("/audit/cases/?outcome=cancelled").content.decode()
