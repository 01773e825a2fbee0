"""A decision's reason code and "on behalf of" stay visible after it is taken (issue 12): on the
case timeline, the task page and in the API's history."""

from apps.cases.services import task_complete
from tests.conftest import task_for


def test_a_rejections_reason_code_shows_on_the_timeline_and_in_the_api(over_budget_rejection, signed_in):
    case = over_budget_rejection
    page = signed_in("alice").get(f"/cases/{case.pk}/").content.decode()
    assert "Over budget</span> Q3 budget is spent." in page

    history = signed_in("alice").get(f"/api/v1/cases/{case.pk}/").json()["history"]
    decided = next(e for e in history if e["action"] == "task.decided")
    assert (decided["reason_code"], decided["reason"], decided["on_behalf_of"]) == (
        "over_budget",
        "Q3 budget is spent.",
        "",
    )


def test_the_reason_code_survives_into_how_the_case_ended(over_budget_rejection, users, signed_in):
    """The closing reason, the requester's notification, the case page and the API's closing
    entry all carry the code's label, not only the approver's free text."""
    from apps.notify.models import Notification

    case = over_budget_rejection
    told = Notification.objects.get(user=users["alice"], subject=f"Request #{case.pk} was rejected")
    assert told.body == "Over budget: Q3 budget is spent."
    alice = signed_in("alice")
    assert "“Over budget: Q3 budget is spent.”" in alice.get(f"/cases/{case.pk}/").content.decode()
    answer = alice.get(f"/api/v1/cases/{case.pk}/").json()
    assert answer["closed_reason"] == "Over budget: Q3 budget is spent."
    closed = next(e for e in answer["history"] if e["action"] == "case.closed")
    assert closed["reason_code"] == "over_budget"


def test_a_code_alone_is_its_label(start_purchase, users):
    case = start_purchase(amount="500")
    task_complete(
        task_id=task_for(case, "Manager approval").pk, actor=users["bob"], decision="reject", reason_code="not_needed"
    )
    case.refresh_from_db()
    assert case.closed_reason == "Not needed"


def test_a_delegates_decision_says_whom_they_acted_for(bob_away, start_purchase, users, signed_in):
    frank = users["frank"]
    case = start_purchase(amount="500")
    task = task_for(case, "Manager approval")
    assert task.owner == frank

    task_complete(task_id=task.pk, actor=frank, decision="approve")

    timeline = signed_in("alice").get(f"/cases/{case.pk}/").content.decode()
    assert 'frank <span class="muted">on behalf of bob</span>' in timeline
    assert "on behalf of bob" in signed_in("frank").get(f"/tasks/{task.pk}/").content.decode()
    history = signed_in("alice").get(f"/api/v1/cases/{case.pk}/").json()["history"]
    assert next(e for e in history if e["action"] == "task.decided")["on_behalf_of"] == "bob"
