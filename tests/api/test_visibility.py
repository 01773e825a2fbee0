"""Who may read which case: requesters, approvers (including role queues), auditors, admins,
the workflow's owners, and the managers of whoever a case waits on."""

import pytest

from tests.api.conftest import case_state, complete, started, task_named

CASES = "/api/v1/cases/"
EVERYONE = ["alice", "bob", "carol", "fiona", "frank", "leo", "audrey", "olivia", "oscar", "admin"]


def visible_ids(client) -> set[int]:
    response = client.get(CASES, {"per_page": 500})
    assert response.status_code == 200
    ids = {c["id"] for c in response.json()}
    assert response["X-Total-Count"] == str(len(ids))
    return ids


def can_read(client, case_id) -> bool:
    response = client.get(f"{CASES}{case_id}/")
    assert response.status_code in (200, 403), response.content
    if response.status_code == 403:
        assert response.json()["detail"] == "You cannot see this case."
        assert set(response.json()) == {"detail"}  # nothing about the case leaks
    return response.status_code == 200


@pytest.fixture
def purchases(api):
    """Three cases: alice's small one, alice's large one (finance), fiona's high-risk one (legal)."""
    return {
        "small": started(api("alice"), amount="100")["id"],
        "finance": started(api("alice"), amount="5000")["id"],
        "legal": started(api("fiona"), amount="200", vendor_risk="high")["id"],
    }


def test_each_user_sees_exactly_the_cases_they_may(api, purchases):
    small, finance, legal = purchases["small"], purchases["finance"], purchases["legal"]
    everything = {small, finance, legal}
    expected = {
        "alice": {small, finance},  # her own
        "bob": {small, finance},  # manager approval of alice's cases
        # manager approval of fiona's case; and bob, her report, holds the approvals of alice's
        "carol": everything,
        "fiona": {finance, legal},  # finance queue, and her own case
        "frank": {finance},  # finance queue
        "leo": {legal},  # legal queue
        "audrey": everything,  # auditor
        "admin": everything,  # superuser
        "olivia": everything,  # she owns purchase approval: she reads its cases (and decides none)
        "oscar": set(),
    }
    for name in EVERYONE:
        client = api(name)
        assert visible_ids(client) == expected[name], name
        for case_id in everything:
            assert can_read(client, case_id) == (case_id in expected[name]), (name, case_id)


def test_the_list_shows_the_same_case_body_as_the_detail(api, purchases):
    for name in ["alice", "frank", "audrey"]:
        client = api(name)
        for body in client.get(CASES).json():
            assert body == client.get(f"{CASES}{body['id']}/").json()


def test_approvers_still_see_the_case_after_deciding(api, purchases):
    case_id = purchases["finance"]
    case = api("alice").get(f"{CASES}{case_id}/").json()
    assert complete(api("bob"), task_named(case, "Manager approval")["id"], decision="approve").status_code == 200
    assert complete(api("frank"), task_named(case, "Finance approval")["id"], decision="approve").status_code == 200
    assert api("alice").get(f"{CASES}{case_id}/").json()["outcome"] == "approved"
    for name in ["alice", "bob", "frank", "audrey", "admin"]:
        assert can_read(api(name), case_id), name
        assert case_id in visible_ids(api(name)), name
    for name in ["carol", "leo", "oscar"]:
        assert not can_read(api(name), case_id), name
        assert case_id not in visible_ids(api(name)), name


def test_reading_a_case_changes_nothing(api, purchases):
    before = {case_id: case_state(case_id) for case_id in purchases.values()}
    for name in ["alice", "frank", "oscar", "audrey"]:  # requester, role member, outsider, auditor
        api(name).get(CASES)
        for case_id in purchases.values():
            api(name).get(f"{CASES}{case_id}/")
    assert {case_id: case_state(case_id) for case_id in purchases.values()} == before


def test_a_hidden_case_is_403_and_a_missing_one_404(api, purchases):
    assert api("oscar").get(f"{CASES}{purchases['small']}/").status_code == 403
    assert api("oscar").get(f"{CASES}99999/").status_code == 404


def test_total_count_and_pages_respect_visibility(api, purchases):
    started(api("carol"), amount="50")  # carol has no manager: the operators queue gets it
    response = api("oscar").get(CASES, {"per_page": 1})
    assert response["X-Total-Count"] == "1"
    assert "Link" not in response
    assert [c["workflow"] for c in response.json()] == ["purchase-approval"]
    assert api("audrey").get(CASES, {"per_page": 1})["X-Total-Count"] == "4"
