"""Approvers see what the requester said and changed when they resubmitted a returned case (issue 12)."""

from apps.cases.services import task_complete
from tests.conftest import task_for


def test_the_task_page_shows_the_resubmission_comment_and_what_changed(start_purchase, users, signed_in):
    case = start_purchase(amount="5000")
    task_complete(
        task_id=task_for(case, "Manager approval").pk, actor=users["bob"], decision="return", reason="Too expensive"
    )
    task_complete(
        task_id=task_for(case, "Rework: complete the request").pk,
        actor=users["alice"],
        decision="submit",
        data={"amount": "900"},
        comment="Went for the smaller model.",
    )

    page = signed_in("bob").get(f"/tasks/{task_for(case, 'Manager approval').pk}/").content.decode()

    assert "Resubmitted by alice" in page and "“Went for the smaller model.”" in page
    assert "Returned by bob: “Too expensive”" in page
    assert '<td>Amount</td><td class="muted">5,000</td><td><strong>900</strong></td>' in page


def test_a_first_round_shows_no_resubmission(start_purchase, signed_in):
    case = start_purchase(amount="5000")
    page = signed_in("bob").get(f"/tasks/{task_for(case, 'Manager approval').pk}/").content.decode()
    assert "Resubmitted by" not in page
