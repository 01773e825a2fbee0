"""The task page (issue 12): a queue task can be claimed from it, and a refusal says why."""

from tests.conftest import task_for


def test_a_queue_task_is_claimed_from_its_page(start_purchase, signed_in, users):
    finance = task_for(start_purchase(amount="5000"), "Finance approval")
    fiona = signed_in("fiona")
    assert "Claim it first" in fiona.get(f"/tasks/{finance.pk}/").content.decode()

    claimed = fiona.post(f"/tasks/{finance.pk}/claim/", {"next": f"/tasks/{finance.pk}/"})

    assert claimed.status_code == 302 and claimed["Location"] == f"/tasks/{finance.pk}/"
    finance.refresh_from_db()
    assert finance.owner == users["fiona"]
    page = fiona.get(claimed["Location"]).content.decode()
    assert "You took Finance approval." in page and "Claim it first" not in page


def test_the_page_says_why_someone_cannot_decide(start_purchase, signed_in):
    case = start_purchase(amount="5000")
    page = signed_in("alice").get(f"/tasks/{task_for(case, 'Manager approval').pk}/").content.decode()
    assert "You cannot decide this task: You requested this case, so you cannot approve it" in page
