"""The task endpoints: the caller's queue, claim, release and complete."""

import pytest

from apps.cases.models import Case
from apps.org.services import person_upsert
from tests.api.conftest import case_state, complete, started, task_named

TASKS = "/api/v1/tasks/"
TASK_KEYS = {"id", "case", "name", "kind", "assignee", "role", "created"}


def claim(client, task_id):
    return client.post(f"{TASKS}{task_id}/claim/")


def release(client, task_id):
    return client.post(f"{TASKS}{task_id}/release/")


def queue(client) -> list[dict]:
    response = client.get(TASKS)
    assert response.status_code == 200
    return response.json()


def case_of(api, case_id) -> dict:
    return api("admin").get(f"/api/v1/cases/{case_id}/").json()


@pytest.fixture
def big_purchase(api):
    """alice's 5,000 purchase from a high-risk vendor: manager, finance and legal approvals."""
    return started(api("alice"), amount="5000", vendor_risk="high")


# --- the queue -----------------------------------------------------------------------------


def test_each_approver_sees_the_tasks_they_can_act_on(api, big_purchase):
    case_id = big_purchase["id"]
    bob = queue(api("bob"))
    assert [(t["name"], t["assignee"], t["role"], t["case"], t["kind"]) for t in bob] == [
        ("Manager approval", "bob", None, case_id, "approval")
    ]
    assert all(TASK_KEYS <= set(t) for t in bob)
    for member in ["fiona", "frank"]:
        assert [(t["name"], t["assignee"], t["role"]) for t in queue(api(member))] == [
            ("Finance approval", None, "finance")
        ]
    assert [t["name"] for t in queue(api("leo"))] == ["Legal review"]
    for bystander in ["alice", "carol", "audrey", "olivia", "oscar", "admin"]:
        assert queue(api(bystander)) == [], bystander


def test_queue_shows_the_task_ids_of_the_case(api, big_purchase):
    assert {t["id"] for t in big_purchase["open_tasks"]} == {
        t["id"] for name in ["bob", "fiona", "leo"] for t in queue(api(name))
    }


def test_queue_lists_tasks_oldest_first_and_pages(api):
    alice = api("alice")
    ids = [task_named(started(alice), "Manager approval")["id"] for _ in range(3)]
    response = api("bob").get(TASKS, {"per_page": 2})
    assert [t["id"] for t in response.json()] == ids[:2]
    assert response["X-Total-Count"] == "3"
    assert 'rel="next"' in response["Link"]
    assert [t["id"] for t in api("bob").get(TASKS, {"per_page": 2, "page": 2}).json()] == ids[2:]


def test_rework_task_is_in_the_requesters_queue(api):
    case = started(api("alice"), cost_center=None)
    [task] = queue(api("alice"))
    assert (task["case"], task["kind"], task["assignee"], task["role"]) == (case["id"], "rework", "alice", None)
    assert queue(api("bob")) == []


def test_requester_does_not_see_their_own_role_task(api):
    # fiona is in finance, but may not approve her own purchase.
    case = started(api("fiona"), amount="5000")
    assert [t["name"] for t in queue(api("frank"))] == ["Finance approval"]
    assert queue(api("fiona")) == []
    assert [t["name"] for t in queue(api("carol"))] == ["Manager approval"]
    assert case["id"] == queue(api("frank"))[0]["case"]


# --- claim and release ---------------------------------------------------------------------


def test_claim_takes_a_role_task_out_of_the_queue(api, big_purchase):
    task_id = task_named(big_purchase, "Finance approval")["id"]
    response = claim(api("fiona"), task_id)
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["assignee"], response.json()["role"]) == (
        task_id,
        "fiona",
        "finance",
    )
    assert [t["assignee"] for t in queue(api("fiona"))] == ["fiona"]
    assert queue(api("frank")) == []
    assert task_named(case_of(api, big_purchase["id"]), "Finance approval")["assignee"] == "fiona"
    history = case_of(api, big_purchase["id"])["history"]
    assert [(h["actor"], h["step"]) for h in history if h["action"] == "task.claimed"] == [
        ("fiona", "Finance approval")
    ]


def test_claiming_again_changes_nothing(api, big_purchase):
    task_id = task_named(big_purchase, "Finance approval")["id"]
    assert claim(api("fiona"), task_id).status_code == 200
    before = case_state(big_purchase["id"])
    response = claim(api("fiona"), task_id)
    assert response.status_code == 200
    assert response.json()["assignee"] == "fiona"
    assert case_state(big_purchase["id"]) == before


def test_claiming_a_task_someone_else_holds_is_403(api, big_purchase):
    task_id = task_named(big_purchase, "Finance approval")["id"]
    assert claim(api("fiona"), task_id).status_code == 200
    before = case_state(big_purchase["id"])
    response = claim(api("frank"), task_id)
    assert response.status_code == 403
    assert "fiona" in response.json()["detail"]
    assert task_named(case_of(api, big_purchase["id"]), "Finance approval")["assignee"] == "fiona"
    assert case_state(big_purchase["id"]) == before


@pytest.mark.parametrize("outsider", ["leo", "alice", "bob", "audrey", "oscar", "admin"])
def test_claiming_outside_ones_roles_is_403(api, big_purchase, outsider):
    task_id = task_named(big_purchase, "Finance approval")["id"]
    before = case_state(big_purchase["id"])
    response = claim(api(outsider), task_id)
    assert response.status_code == 403
    assert task_named(case_of(api, big_purchase["id"]), "Finance approval")["assignee"] is None
    assert case_state(big_purchase["id"]) == before


def test_release_puts_the_task_back_in_the_queue(api, big_purchase):
    task_id = task_named(big_purchase, "Finance approval")["id"]
    assert claim(api("fiona"), task_id).status_code == 200
    response = release(api("fiona"), task_id)
    assert response.status_code == 200
    assert (response.json()["assignee"], response.json()["role"]) == (None, "finance")
    assert [t["id"] for t in queue(api("frank"))] == [task_id]
    assert claim(api("frank"), task_id).json()["assignee"] == "frank"
    actions = [(h["action"], h["actor"]) for h in case_of(api, big_purchase["id"])["history"]]
    assert actions[-3:] == [("task.claimed", "fiona"), ("task.released", "fiona"), ("task.claimed", "frank")]


def test_releasing_a_task_one_does_not_hold_is_403(api, big_purchase):
    finance = task_named(big_purchase, "Finance approval")["id"]
    manager = task_named(big_purchase, "Manager approval")["id"]
    assert claim(api("fiona"), finance).status_code == 200
    before = case_state(big_purchase["id"])
    assert release(api("frank"), finance).status_code == 403  # fiona holds it
    assert release(api("bob"), manager).status_code == 403  # assigned by name, not from a queue
    assert release(api("leo"), task_named(big_purchase, "Legal review")["id"]).status_code == 403  # unclaimed
    assert case_state(big_purchase["id"]) == before
    case = case_of(api, big_purchase["id"])
    assert task_named(case, "Finance approval")["assignee"] == "fiona"
    assert task_named(case, "Manager approval")["assignee"] == "bob"


def test_claim_and_release_of_a_closed_task_is_409(api, big_purchase):
    task_id = task_named(big_purchase, "Finance approval")["id"]
    assert complete(api("fiona"), task_id, decision="approve").status_code == 200
    before = case_state(big_purchase["id"])
    assert claim(api("frank"), task_id).status_code == 409
    assert release(api("fiona"), task_id).status_code == 409
    assert case_state(big_purchase["id"]) == before


@pytest.mark.parametrize("action", ["claim", "release", "complete"])
@pytest.mark.parametrize("task_id", [99999, 2**64])
def test_unknown_task_is_404(api, action, task_id):
    response = api("bob").post(f"{TASKS}{task_id}/{action}/", {"decision": "approve"}, format="json")
    assert response.status_code == 404
    assert response.json()["detail"]


# --- complete ------------------------------------------------------------------------------


def test_all_approvals_close_the_case_approved(api, big_purchase):
    case_id = big_purchase["id"]
    manager = complete(api("bob"), task_named(big_purchase, "Manager approval")["id"], decision="approve")
    assert manager.status_code == 200
    assert (manager.json()["decision"], manager.json()["case_status"]) == ("approve", "open")
    assert complete(api("leo"), task_named(big_purchase, "Legal review")["id"], decision="approve").status_code == 200
    assert case_of(api, case_id)["status"] == "open"

    last = complete(api("frank"), task_named(big_purchase, "Finance approval")["id"], decision="approve")
    assert last.status_code == 200
    assert (last.json()["case_status"], last.json()["case_outcome"]) == ("closed", "approved")
    case = case_of(api, case_id)
    assert (case["status"], case["outcome"], case["open_tasks"]) == ("closed", "approved", [])
    for name in ["bob", "fiona", "frank", "leo"]:
        assert queue(api(name)) == []


def test_completing_an_unclaimed_role_task_claims_it_first(api, big_purchase):
    task_id = task_named(big_purchase, "Finance approval")["id"]
    response = complete(api("frank"), task_id, decision="approve", comment="budget ok")
    assert response.status_code == 200
    assert response.json()["assignee"] == "frank"
    history = case_of(api, big_purchase["id"])["history"]
    claimed = [i for i, h in enumerate(history) if h["action"] == "task.claimed"]
    decided = [i for i, h in enumerate(history) if h["action"] == "task.decided"]
    assert len(claimed) == 1 and len(decided) == 1 and claimed[0] < decided[0]
    assert history[decided[0]]["actor"] == "frank" and history[decided[0]]["comment"] == "budget ok"


def test_one_rejection_closes_the_case_and_cancels_the_other_tasks(api, big_purchase):
    finance = task_named(big_purchase, "Finance approval")["id"]
    response = complete(
        api("leo"), task_named(big_purchase, "Legal review")["id"], decision="reject", reason="unvetted"
    )
    assert response.status_code == 200
    assert (response.json()["case_status"], response.json()["case_outcome"]) == ("closed", "rejected")
    case = case_of(api, big_purchase["id"])
    assert (case["status"], case["outcome"], case["open_tasks"]) == ("closed", "rejected", [])
    assert queue(api("bob")) == [] and queue(api("fiona")) == []
    # The cancelled finance task cannot be decided any more.
    before = case_state(big_purchase["id"])
    assert complete(api("fiona"), finance, decision="approve").status_code == 409
    assert case_state(big_purchase["id"]) == before


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_reject_needs_a_reason(api, big_purchase, reason):
    task_id = task_named(big_purchase, "Manager approval")["id"]
    body = {"decision": "reject"} | ({} if reason is None else {"reason": reason})
    before = case_state(big_purchase["id"])
    response = api("bob").post(f"{TASKS}{task_id}/complete/", body, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    assert case_state(big_purchase["id"]) == before
    assert [t["id"] for t in queue(api("bob"))] == [task_id]


def test_return_sends_the_case_back_to_the_requester_who_resubmits(api):
    alice, bob = api("alice"), api("bob")
    case = started(alice)
    response = complete(bob, task_named(case, "Manager approval")["id"], decision="return", reason="Which monitors?")
    assert response.status_code == 200
    [rework] = queue(alice)
    assert (rework["kind"], rework["case"]) == ("rework", case["id"])
    assert queue(bob) == []

    resubmitted = complete(alice, rework["id"], decision="submit", data={"description": "2x 27in monitors"})
    assert resubmitted.status_code == 200
    after = case_of(api, case["id"])
    assert after["data"]["description"] == "2x 27in monitors"
    assert [t["name"] for t in after["open_tasks"]] == ["Manager approval"]
    assert [t["case"] for t in queue(bob)] == [case["id"]]


def test_submitting_the_missing_data_completes_the_rework(api):
    alice = api("alice")
    case = started(alice, cost_center=None)
    rework = case["open_tasks"][0]
    response = complete(alice, rework["id"], decision="submit", data={"cost_center": "CC-7"}, comment="added")
    assert response.status_code == 200
    assert response.json()["kind"] == "rework"
    after = case_of(api, case["id"])
    assert after["data"]["cost_center"] == "CC-7"
    assert [(t["name"], t["assignee"]) for t in after["open_tasks"]] == [("Manager approval", "bob")]
    assert any(h["action"] == "case.resubmitted" and h["actor"] == "alice" for h in after["history"])
    assert complete(alice, rework["id"], decision="submit", data={"cost_center": "CC-8"}).status_code == 409
    assert case_of(api, case["id"])["data"]["cost_center"] == "CC-7"


def test_resubmitting_invalid_data_is_400_and_keeps_the_rework_open(api):
    alice = api("alice")
    case = started(alice, cost_center=None)
    rework_id = case["open_tasks"][0]["id"]
    before = case_state(case["id"])
    response = complete(alice, rework_id, decision="submit", data={"cost_center": "CC-7", "amount": "-3"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["amount"]
    assert case_state(case["id"]) == before
    assert Case.objects.get(pk=case["id"]).data["amount"] == "500.00"
    assert [t["id"] for t in queue(alice)] == [rework_id]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"decision": "approve", "data": {"amount": "1"}}, "data"),
        ({"decision": "submit"}, "decision"),
        ({"decision": "maybe"}, "decision"),
        ({}, "decision"),
        ({"decision": "approve", "reason": "x" * 2001}, "reason"),
        ({"decision": "approve", "data": ["amount"]}, "data"),
    ],
)
def test_invalid_decision_payload_is_400_and_changes_nothing(api, big_purchase, body, field):
    task_id = task_named(big_purchase, "Manager approval")["id"]
    before = case_state(big_purchase["id"])
    response = complete(api("bob"), task_id, **body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert case_state(big_purchase["id"]) == before
    assert Case.objects.get(pk=big_purchase["id"]).data["amount"] == "5000.00"


def test_approving_a_rework_task_is_400(api):
    alice = api("alice")
    rework_id = started(alice, cost_center=None)["open_tasks"][0]["id"]
    response = complete(alice, rework_id, decision="approve")
    assert response.status_code == 400
    assert "decision" in response.json()["errors"]
    assert [t["id"] for t in queue(alice)] == [rework_id]


def test_malformed_json_on_complete_is_400(api, big_purchase):
    task_id = task_named(big_purchase, "Manager approval")["id"]
    before = case_state(big_purchase["id"])
    response = api("bob").post(f"{TASKS}{task_id}/complete/", '{"decision": "appr', content_type="application/json")
    assert response.status_code == 400
    assert case_state(big_purchase["id"]) == before


@pytest.mark.parametrize("intruder", ["carol", "alice", "fiona", "audrey", "admin"])
def test_completing_someone_elses_task_is_403_and_changes_nothing(api, big_purchase, intruder):
    task_id = task_named(big_purchase, "Manager approval")["id"]
    before = case_state(big_purchase["id"])
    response = complete(api(intruder), task_id, decision="approve")
    assert response.status_code == 403
    assert response.json()["detail"]
    assert case_state(big_purchase["id"]) == before
    assert [t["id"] for t in queue(api("bob"))] == [task_id]


def test_completing_someone_elses_rework_is_403(api):
    case = started(api("alice"), cost_center=None)
    rework_id = case["open_tasks"][0]["id"]
    before = case_state(case["id"])
    assert complete(api("bob"), rework_id, decision="submit", data={"cost_center": "X"}).status_code == 403
    assert case_state(case["id"]) == before
    assert "cost_center" not in Case.objects.get(pk=case["id"]).data


def test_a_finance_member_may_not_approve_their_own_purchase(api):
    case = started(api("fiona"), amount="5000")
    task_id = task_named(case, "Finance approval")["id"]
    before = case_state(case["id"])
    assert claim(api("fiona"), task_id).status_code == 403
    response = complete(api("fiona"), task_id, decision="approve")
    assert response.status_code == 403
    assert "requested" in response.json()["detail"]
    assert case_state(case["id"]) == before
    assert complete(api("frank"), task_id, decision="approve").status_code == 200


def test_an_operator_may_not_approve_their_own_request_from_the_operators_queue(api):
    # oscar has no manager, so his manager approval goes to the operators queue, which he is in.
    case = started(api("oscar"))
    [task] = case["open_tasks"]
    assert (task["assignee"], task["role"]) == (None, "operators")
    assert queue(api("oscar")) == []
    before = case_state(case["id"])
    assert claim(api("oscar"), task["id"]).status_code == 403
    assert complete(api("oscar"), task["id"], decision="approve").status_code == 403
    assert case_state(case["id"]) == before


def test_one_person_approves_once_per_stage(api, users):
    # gina reports to fiona, so fiona is both her manager and a finance member.
    person_upsert(username="gina", password="demo", department="Finance", manager=users["fiona"])
    case = started(api("gina"), amount="5000")
    finance = task_named(case, "Finance approval")["id"]
    assert complete(api("fiona"), task_named(case, "Manager approval")["id"], decision="approve").status_code == 200
    before = case_state(case["id"])
    assert claim(api("fiona"), finance).status_code == 403
    assert complete(api("fiona"), finance, decision="approve").status_code == 403
    assert case_state(case["id"]) == before
    assert complete(api("frank"), finance, decision="approve").status_code == 200
    assert case_of(api, case["id"])["outcome"] == "approved"


def test_completing_a_task_twice_is_409_and_the_case_advances_once(api, big_purchase):
    task_id = task_named(big_purchase, "Manager approval")["id"]
    assert complete(api("bob"), task_id, decision="approve").status_code == 200
    before = case_state(big_purchase["id"])
    again = complete(api("bob"), task_id, decision="approve")
    assert again.status_code == 409
    assert again.json()["detail"]
    assert complete(api("bob"), task_id, decision="reject", reason="changed my mind").status_code == 409
    assert case_state(big_purchase["id"]) == before
    history = case_of(api, big_purchase["id"])["history"]
    assert len([h for h in history if h["action"] == "task.decided"]) == 1


def test_completing_a_task_of_a_closed_case_is_409(api):
    case = started(api("alice"), amount="5000")
    finance = task_named(case, "Finance approval")["id"]
    manager = task_named(case, "Manager approval")["id"]
    assert complete(api("bob"), manager, decision="reject", reason="no").status_code == 200
    before = case_state(case["id"])
    assert complete(api("frank"), finance, decision="approve").status_code == 409
    assert case_state(case["id"]) == before
    assert case_of(api, case["id"])["outcome"] == "rejected"


def test_reject_with_a_reason_code_only_records_the_codes_label(api, big_purchase):
    task_id = task_named(big_purchase, "Manager approval")["id"]
    response = complete(api("bob"), task_id, decision="reject", reason_code="vendor_not_approved")
    assert response.status_code == 200
    assert response.json()["case_outcome"] == "rejected"
    detail = api("bob").get(f"/api/v1/cases/{big_purchase['id']}/").json()
    assert detail["closed_reason"] == "Vendor not approved"


def test_unknown_reason_code_is_400_naming_it(api, big_purchase):
    task_id = task_named(big_purchase, "Manager approval")["id"]
    response = complete(api("bob"), task_id, decision="reject", reason_code="because")
    assert response.status_code == 400 and "reason_code" in response.json()["errors"]
