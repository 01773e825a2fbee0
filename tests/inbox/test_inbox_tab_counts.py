"""Claiming or releasing in the inbox updates the tab counts in the same htmx answer (issue 12)."""

import re

from tests.conftest import task_for


def tab_counts(html: str) -> dict[str, str]:
    return dict(re.findall(r'<span class="count" id="tab-count-(\w+)"[^>]*>(\d+)</span>', html))


def oob_counts(html: str) -> dict[str, str]:
    return dict(re.findall(r'<span class="count" id="tab-count-(\w+)" hx-swap-oob="true">(\d+)</span>', html))


def test_claim_and_release_answer_with_the_new_tab_counts(signed_in, start_purchase):
    first = task_for(start_purchase(amount="5000"), "Finance approval")
    task_for(start_purchase(amount="6000"), "Finance approval")
    fiona = signed_in("fiona")
    assert tab_counts(fiona.get("/inbox/?tab=queue").content.decode()) == {"assigned": "0", "queue": "2"}

    claimed = fiona.post(f"/tasks/{first.pk}/claim/", {"tab": "queue"}, HTTP_HX_REQUEST="true").content.decode()
    assert claimed.lstrip().startswith(f'<tr id="task-{first.pk}">'), "the row is still the swap's target"
    assert oob_counts(claimed) == {"assigned": "1", "queue": "1"}
    assert tab_counts(fiona.get("/inbox/").content.decode()) == {"assigned": "1", "queue": "1"}

    released = fiona.post(f"/tasks/{first.pk}/release/", {"tab": "queue"}, HTTP_HX_REQUEST="true").content.decode()
    assert oob_counts(released) == {"assigned": "0", "queue": "2"}
    assert ">Claim</button>" in released, "released in the queue tab, the row offers the claim again"


def test_a_plain_claim_still_goes_to_the_task_page(signed_in, start_purchase):
    task = task_for(start_purchase(amount="5000"), "Finance approval")
    response = signed_in("fiona").post(f"/tasks/{task.pk}/claim/", {"tab": "queue"})
    assert response.status_code == 302 and response["Location"] == f"/tasks/{task.pk}/"
