"""POST/GET /api/v1/cases/ and GET /api/v1/cases/{id}/: starting cases and reading them."""

import pytest

from apps.audit.models import AuditEvent
from apps.cases.models import Case
from tests.api.conftest import case_state, complete, start_case, started, task_named

URL = "/api/v1/cases/"
CASE_KEYS = {"id", "workflow", "version", "status", "outcome", "data", "open_tasks", "route", "history"}
TASK_KEYS = {"id", "case", "name", "kind", "assignee", "role", "created"}
HISTORY_KEYS = {"at", "actor", "action", "step", "reason", "comment"}


def _post(client, body, **headers):
    return client.post(URL, body, format="json", **headers)


# --- starting a case -----------------------------------------------------------------------


def test_start_returns_201_with_the_case(api, users):
    response = start_case(api("alice"), amount="500", description="Two monitors")
    assert response.status_code == 201
    body = response.json()
    assert CASE_KEYS <= set(body)
    assert response["Location"] == f"/api/v1/cases/{body['id']}/"
    assert "Idempotent-Replayed" not in response
    assert (body["workflow"], body["version"], body["status"], body["outcome"]) == (
        "purchase-approval",
        1,
        "open",
        None,
    )
    # Values come back cleaned, with defaults filled in.
    assert body["data"] == {
        "amount": "500.00",
        "vendor": "ACME Ltd",
        "vendor_risk": "low",
        "cost_center": "CC-100",
        "description": "Two monitors",
    }
    [task] = body["open_tasks"]
    assert TASK_KEYS <= set(task)
    assert (task["name"], task["kind"], task["assignee"], task["role"], task["case"]) == (
        "Manager approval",
        "approval",
        "bob",
        None,
        body["id"],
    )
    assert body["route"]["summary"]
    assert body["history"][0]["action"] == "case.started"
    assert body["history"][0]["actor"] == "alice"
    assert all(HISTORY_KEYS <= set(entry) for entry in body["history"])
    case = Case.objects.get()
    assert (case.pk, case.requester, case.data["amount"]) == (body["id"], users["alice"], "500.00")


def test_start_routes_to_finance_and_legal_when_the_rules_say_so(api):
    body = started(api("alice"), amount="1000", vendor_risk="high")
    tasks = {t["name"]: t for t in body["open_tasks"]}
    assert set(tasks) == {"Manager approval", "Finance approval", "Legal review"}
    assert (tasks["Finance approval"]["assignee"], tasks["Finance approval"]["role"]) == (None, "finance")
    assert (tasks["Legal review"]["assignee"], tasks["Legal review"]["role"]) == (None, "legal")
    # The route explains why each approval applies.
    assert "Finance approval" in body["route"]["summary"] and "Legal review" in body["route"]["summary"]
    assert {a["approver"] for a in body["route"]["approvers"]} == {"manager", "finance", "legal"}


def test_start_just_below_the_finance_threshold_needs_only_the_manager(api):
    body = started(api("alice"), amount="999.99", vendor_risk="medium")
    assert [t["name"] for t in body["open_tasks"]] == ["Manager approval"]


def test_start_without_cost_center_returns_the_case_to_the_requester(api):
    body = started(api("alice"), cost_center=None)
    assert body["status"] == "open"
    [task] = body["open_tasks"]
    assert (task["kind"], task["assignee"]) == ("rework", "alice")
    assert "cost_center" in task["missing"]
    assert api("bob").get("/api/v1/tasks/").json() == []


@pytest.mark.parametrize(
    "data, bad_fields",
    [
        ({"amount": "0", "vendor": "ACME"}, {"amount"}),
        ({"amount": "-5", "vendor": "ACME"}, {"amount"}),
        ({"amount": "abc", "vendor": "ACME"}, {"amount"}),
        ({"amount": "1.234", "vendor": "ACME"}, {"amount"}),
        ({"amount": True, "vendor": "ACME"}, {"amount"}),
        ({"amount": "NaN", "vendor": "ACME"}, {"amount"}),
        ({"vendor": "ACME"}, {"amount"}),
        ({"amount": "10"}, {"vendor"}),
        ({"amount": "10", "vendor": "   "}, {"vendor"}),
        ({"amount": "10", "vendor": "x" * 201}, {"vendor"}),
        ({"amount": "10", "vendor": "ACME", "vendor_risk": "extreme"}, {"vendor_risk"}),
        ({"amount": "10", "vendor": "ACME", "colour": "red"}, {"colour"}),
        ({}, {"amount", "vendor"}),
        ({"amount": "-1", "vendor": "", "vendor_risk": "x", "bogus": 1}, {"amount", "vendor", "vendor_risk", "bogus"}),
    ],
)
def test_invalid_data_is_400_naming_each_bad_field_and_starts_nothing(api, data, bad_fields):
    response = _post(api("alice"), {"workflow": "purchase-approval", "data": data})
    assert response.status_code == 400
    body = response.json()
    assert body["detail"]
    assert set(body["errors"]) == bad_fields
    assert all(isinstance(problems, list) and problems for problems in body["errors"].values())
    assert Case.objects.count() == 0
    assert not AuditEvent.objects.filter(action="case.started").exists()


@pytest.mark.parametrize("amount", ["1e30", "99999999999999999999999999999"])
def test_an_absurdly_large_amount_is_400(api, amount):
    response = start_case(api("alice"), amount=amount)
    assert response.status_code == 400
    assert "amount" in response.json()["errors"]
    assert Case.objects.count() == 0


def test_a_nul_character_in_a_text_field_is_400(api):
    response = start_case(api("alice"), vendor="ACME\u0000Ltd")
    assert response.status_code == 400
    assert "vendor" in response.json()["errors"]


def test_unknown_workflow_is_400_on_the_workflow_field(api):
    response = _post(api("alice"), {"workflow": "no-such-thing", "data": {"amount": "10", "vendor": "ACME"}})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["workflow"]
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    "body, field",
    [
        ({"data": {"amount": "10", "vendor": "ACME"}}, "workflow"),
        ({"workflow": "", "data": {}}, "workflow"),
        ({"workflow": "purchase-approval", "data": ["amount", "10"]}, "data"),
        ({"workflow": "purchase-approval", "data": "amount=10"}, "data"),
        ({"workflow": "purchase-approval", "data": None}, "data"),
    ],
)
def test_malformed_payload_is_400_naming_the_field(api, body, field):
    response = _post(api("alice"), body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Case.objects.count() == 0


def test_a_json_body_that_is_not_an_object_is_400(api):
    response = api("alice").post(URL, "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"]
    assert Case.objects.count() == 0


def test_malformed_json_is_400(api):
    response = api("alice").post(URL, '{"workflow": "purchase-approval", "data": {', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Malformed request body")
    assert Case.objects.count() == 0


def test_unsupported_media_type_is_415(api):
    response = api("alice").post(URL, "<case/>", content_type="application/xml")
    assert response.status_code == 415
    assert Case.objects.count() == 0


# --- idempotency ---------------------------------------------------------------------------


def test_repeated_post_with_the_same_idempotency_key_returns_the_same_case(api):
    client = api("alice")
    first = start_case(client, key="order-42", amount="1200")
    second = start_case(client, key="order-42", amount="1200")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] == second.json()["id"]
    assert "Idempotent-Replayed" not in first
    assert second["Idempotent-Replayed"] == "true"
    assert second["Location"] == first["Location"]
    assert second.json()["open_tasks"] == first.json()["open_tasks"]
    assert Case.objects.count() == 1
    assert AuditEvent.objects.filter(action="case.started").count() == 1


def test_replay_returns_the_case_as_it_is_now(api):
    client = api("alice")
    first = start_case(client, key="order-43").json()
    task = task_named(first, "Manager approval")
    assert complete(api("bob"), task["id"], decision="approve").status_code == 200
    replay = start_case(client, key="order-43")
    assert replay.status_code == 201
    assert replay.json()["id"] == first["id"]
    assert (replay.json()["status"], replay.json()["outcome"]) == ("closed", "approved")
    assert Case.objects.count() == 1


def test_same_idempotency_key_with_a_different_payload_is_422(api):
    client = api("alice")
    first = start_case(client, key="order-44", amount="100")
    assert first.status_code == 201
    response = start_case(client, key="order-44", amount="200")
    assert response.status_code == 422
    assert response.json()["detail"]
    assert Case.objects.count() == 1
    assert Case.objects.get().data["amount"] == "100.00"


def test_idempotency_keys_belong_to_the_requester(api):
    mine = start_case(api("alice"), key="shared-key")
    theirs = start_case(api("fiona"), key="shared-key")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert "Idempotent-Replayed" not in theirs
    assert Case.objects.count() == 2


def test_without_a_key_every_post_starts_a_new_case(api):
    client = api("alice")
    ids = {start_case(client).json()["id"] for _ in range(2)}
    assert len(ids) == 2
    assert Case.objects.count() == 2


def test_a_rejected_request_does_not_use_up_its_idempotency_key(api):
    client = api("alice")
    assert start_case(client, key="order-45", amount="-1").status_code == 400
    assert Case.objects.count() == 0
    response = start_case(client, key="order-45")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Case.objects.count() == 1


def test_an_overlong_idempotency_key_is_400(api):
    response = start_case(api("alice"), key="k" * 201)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert Case.objects.count() == 0


# --- reading cases -------------------------------------------------------------------------


def test_detail_returns_the_case(api):
    client = api("alice")
    body = started(client)
    response = client.get(f"{URL}{body['id']}/")
    assert response.status_code == 200
    assert response.json() == body


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_cases_cannot_be_edited_or_deleted_through_the_api(api, method):
    client = api("alice")
    body = started(client)
    before = case_state(body["id"])
    response = getattr(client, method)(f"{URL}{body['id']}/", {"data": {"amount": "1"}}, format="json")
    assert response.status_code == 405
    assert case_state(body["id"]) == before
    assert client.get(f"{URL}{body['id']}/").json()["data"] == body["data"]


def test_detail_of_an_unknown_case_is_404(api):
    response = api("admin").get(f"{URL}99999/")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_list_is_a_plain_array_newest_first(api):
    client = api("alice")
    ids = [started(client, amount=str(100 + i))["id"] for i in range(3)]
    response = client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list)
    assert [c["id"] for c in body] == ids[::-1]
    assert response["X-Total-Count"] == "3"
    assert "Link" not in response
    assert all(CASE_KEYS <= set(c) for c in body)
    assert body[0] == client.get(f"{URL}{ids[-1]}/").json()


def test_list_pages_through_link_and_total_count_headers(api):
    client = api("alice")
    ids = [started(client)["id"] for _ in range(5)][::-1]

    first = client.get(URL, {"per_page": 2})
    assert [c["id"] for c in first.json()] == ids[:2]
    assert first["X-Total-Count"] == "5"
    assert 'rel="next"' in first["Link"] and 'rel="prev"' not in first["Link"]
    assert "page=2" in first["Link"] and "per_page=2" in first["Link"]

    middle = client.get(URL, {"per_page": 2, "page": 2})
    assert [c["id"] for c in middle.json()] == ids[2:4]
    assert 'rel="next"' in middle["Link"] and 'rel="prev"' in middle["Link"]

    last = client.get(URL, {"per_page": 2, "page": 3})
    assert [c["id"] for c in last.json()] == ids[4:]
    assert 'rel="next"' not in last["Link"] and 'rel="prev"' in last["Link"]


def test_following_the_next_links_visits_every_case_once(api):
    client = api("alice")
    ids = {started(client)["id"] for _ in range(5)}
    seen, url = [], f"{URL}?per_page=2"
    while url:
        response = client.get(url)
        seen += [c["id"] for c in response.json()]
        links = dict(
            (part.split(";")[1].strip(), part.split(";")[0].strip(" <>"))
            for part in response.get("Link", "").split(",")
            if part
        )
        url = links.get('rel="next"')
    assert sorted(seen) == sorted(ids)


@pytest.mark.parametrize("page", [5, 0, "abc"])
def test_a_page_that_does_not_exist_is_404(api, page):
    client = api("alice")
    started(client)
    assert client.get(URL, {"page": page}).status_code == 404


@pytest.mark.parametrize("per_page", [0, -1, "x", 10000])
def test_a_nonsensical_page_size_falls_back_to_a_sane_one(api, per_page):
    client = api("alice")
    started(client)
    response = client.get(URL, {"per_page": per_page})
    assert response.status_code == 200
    assert len(response.json()) == 1
    assert response["X-Total-Count"] == "1"


def test_a_case_id_beyond_any_database_integer_is_404(api):
    assert api("admin").get(f"{URL}{2**64}/").status_code == 404


def test_history_records_who_did_what_and_why(api):
    alice = api("alice")
    body = started(alice, amount="2000")
    finance = task_named(body, "Finance approval")
    manager = task_named(body, "Manager approval")
    assert complete(api("bob"), manager["id"], decision="approve", comment="fine by me").status_code == 200
    assert complete(api("fiona"), finance["id"], decision="reject", reason="over budget").status_code == 200

    case = alice.get(f"{URL}{body['id']}/").json()
    assert (case["status"], case["outcome"]) == ("closed", "rejected")
    assert case["open_tasks"] == []
    history = case["history"]
    assert [h["at"] for h in history] == sorted(h["at"] for h in history)
    decided = [h for h in history if h["action"] == "task.decided"]
    assert [(h["actor"], h["step"], h["reason"], h["comment"]) for h in decided] == [
        ("bob", "Manager approval", "", "fine by me"),
        ("fiona", "Finance approval", "over budget", ""),
    ]
    assert any(h["action"] == "task.claimed" and h["actor"] == "fiona" for h in history)
    closed = [h for h in history if h["action"] == "case.closed"]
    assert len(closed) == 1 and closed[0]["actor"] == "SYSTEM"
    assert {h["actor"] for h in history} == {"alice", "bob", "fiona", "SYSTEM"}
