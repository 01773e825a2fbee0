"""The exception queue in the API: an invoice case whose ERP step was rejected, read and repaired
by an operator (oscar) through /api/v1/exceptions/, with the ERP served by pytest-httpserver."""

import json

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from apps.api.exception_serializers import MSG_UNKNOWN_FIELD
from apps.automation.exception_selectors import MSG_QUEUE_NOT_ALLOWED
from apps.automation.models import StepRun
from apps.automation.services import (
    MSG_ASSIGNEE_REQUESTER,
    MSG_NOT_FOUND,
    MSG_NOT_OPERATOR,
    MSG_OWN_CASE,
    MSG_REASON_REQUIRED,
)
from apps.cases.models import Case
from apps.cases.services import case_start

TOKEN = "s3cret-erp-token-api-789"
WORKFLOW = "invoice-api"
FIELDS = [
    {"name": "invoice_number", "type": "text", "label": "Invoice number", "required": True},
    {"name": "vendor", "type": "text", "label": "Vendor", "required": True},
    {"name": "amount", "type": "decimal", "label": "Amount", "required": True},
    {"name": "erp_reference", "type": "text", "label": "ERP reference"},
]
ERP_STEP = {
    "key": "erp_check",
    "name": "Validate in ERP",
    "type": "http",
    "system": "ERP",
    "request": {
        "method": "POST",
        "url": "{{endpoint.ERP}}/invoices",
        "headers": {"Authorization": "Bearer {{secret.ERP_TOKEN}}"},
        "body": {"invoice": "{{field.invoice_number}}", "vendor": "{{field.vendor}}", "amount": "{{field.amount}}"},
    },
    "timeout_seconds": 1,
    "retry": {"attempts": 3, "backoff_seconds": 5, "max_backoff_seconds": 60},
    "response": {"map": {"erp_reference": "reference"}},
}
APPROVAL = {"key": "approval", "name": "Approval", "approvers": [{"key": "manager", "type": "manager"}]}
ERP_PATH = "/erp/invoices"


@pytest.fixture
def erp(httpserver):
    with override_settings(WMS_ENDPOINTS={"ERP": httpserver.url_for("/erp")}, WMS_SECRETS={"ERP_TOKEN": TOKEN}):
        yield httpserver


@pytest.fixture
def rejected(demo, publish, erp, django_capture_on_commit_callbacks):
    """Start invoice cases whose ERP check is rejected (422 Unknown vendor); returns the failed step."""
    publish(WORKFLOW, [ERP_STEP, APPROVAL], fields=FIELDS)

    def _rejected(requester="alice", vendor="ACM") -> StepRun:
        erp.expect_oneshot_request(ERP_PATH, method="POST").respond_with_json({"message": "Unknown vendor"}, status=422)
        data = {"invoice_number": "INV-1001", "vendor": vendor, "amount": "1200.00"}
        with django_capture_on_commit_callbacks(execute=True):
            case, _ = case_start(workflow=WORKFLOW, data=data, actor=demo[requester])
        run = StepRun.objects.get(case=case)
        assert run.status == "exception", run.last_error
        return run

    return _rejected


def url(run, action=""):
    return f"/api/v1/exceptions/{run.pk}/" + (f"{action}/" if action else "")


def state_of(run) -> str:
    return Case.objects.get(pk=run.case_id).state


# --- reading -----------------------------------------------------------------------------------------


def test_the_queue_lists_the_rejected_step(api, rejected):
    run = rejected()

    response = api("oscar").get("/api/v1/exceptions/")

    assert response.status_code == 200, response.content
    assert response["X-Total-Count"] == "1"
    [item] = response.json()
    assert item["id"] == run.pk
    assert item["case"] == {"id": run.case_id, "workflow": WORKFLOW, "version": 1, "state": "exception"}
    assert (item["step_key"], item["step_name"], item["system"], item["kind"]) == (
        "erp_check",
        "Validate in ERP",
        "ERP",
        "call",
    )
    assert (item["status"], item["category"], item["category_label"]) == ("exception", "rejected", "Rejected by target")
    assert (item["attempts"], item["revision"]) == (1, 1)
    assert item["idempotency_key"] == f"wms-{run.case_id}-erp_check-r1"
    assert "Unknown vendor" in item["last_error"]
    assert item["assigned_to"] is None
    assert item["failed_at"] is not None
    assert item["age_seconds"] >= 0


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("category=rejected", True),
        ("category=timeout", False),
        (f"workflow={WORKFLOW}", True),
        ("workflow=purchase-approval", False),
        ("status=exception", True),
        ("status=retrying", False),
        ("status=all-open", True),
        ("assigned_to=fiona", False),
    ],
)
def test_the_queue_filters(api, rejected, query, found):
    run = rejected()

    response = api("oscar").get(f"/api/v1/exceptions/?{query}")

    assert response.status_code == 200, response.content
    assert [i["id"] for i in response.json()] == ([run.pk] if found else [])


@pytest.mark.parametrize("query", ["category=nonsense", "status=closed"])
def test_an_unknown_filter_value_is_a_400_naming_it(api, demo, query):
    response = api("oscar").get(f"/api/v1/exceptions/?{query}")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [query.split("=")[0]]


def test_the_queue_is_paginated_and_its_queries_do_not_grow(api, rejected, django_assert_max_num_queries):
    runs = [rejected(), rejected(), rejected()]
    client = api("oscar")

    # The token, the caller's roles, the count, the page with its cases and assignees.
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/exceptions/?per_page=2")

    assert response.status_code == 200
    assert response["X-Total-Count"] == "3"
    assert 'rel="next"' in response["Link"]
    assert [i["id"] for i in response.json()] == [r.pk for r in runs[:2]]


def test_the_detail_shows_the_redacted_request_and_every_attempt(api, rejected):
    run = rejected()

    response = api("oscar").get(url(run))

    assert response.status_code == 200, response.content
    body = response.json()
    assert TOKEN not in response.content.decode()
    assert body["last_request"]["headers"]["Authorization"] == "***"
    assert body["last_request"]["body"]["vendor"] == "ACM"
    assert body["last_response"]
    assert body["resolution"] == ""
    [attempt] = body["attempts_log"]
    assert (attempt["number"], attempt["revision"], attempt["status_code"]) == (1, 1, 422)
    assert (attempt["outcome"], attempt["category"]) == ("failed", "rejected")
    assert attempt["request"]["headers"]["Authorization"] == "***"
    assert "Unknown vendor" in attempt["error"]
    assert {"started", "duration_ms", "response"} <= set(attempt)


def test_an_unknown_step_is_a_json_404(api, demo):
    response = api("oscar").get("/api/v1/exceptions/999999/")

    assert response.status_code == 404
    assert response.json() == {"detail": MSG_NOT_FOUND}


def test_a_requester_who_is_no_operator_gets_403_everywhere(api, rejected):
    run = rejected()
    alice = api("alice")

    listing = alice.get("/api/v1/exceptions/")
    detail = alice.get(url(run))
    skip = alice.post(url(run, "skip"), {"reason": "Done by hand"}, format="json")

    assert (listing.status_code, listing.json()["detail"]) == (403, MSG_QUEUE_NOT_ALLOWED)
    assert (detail.status_code, detail.json()["detail"]) == (403, MSG_NOT_OPERATOR)
    assert (skip.status_code, skip.json()["detail"]) == (403, MSG_NOT_OPERATOR)
    assert StepRun.objects.get(pk=run.pk).status == "exception"


def test_a_non_operator_learns_nothing_of_a_missing_step(api, demo):
    assert api("alice").get("/api/v1/exceptions/999999/").status_code == 403


def test_anonymous_callers_must_authenticate(api, demo):
    assert api().get("/api/v1/exceptions/").status_code in (401, 403)


# --- repairing ---------------------------------------------------------------------------------------


def test_skip_needs_a_reason_naming_the_field(api, rejected):
    run = rejected()

    response = api("oscar").post(url(run, "skip"), {}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": MSG_REASON_REQUIRED, "errors": {"reason": [MSG_REASON_REQUIRED]}}
    assert StepRun.objects.get(pk=run.pk).status == "exception"


def test_skip_moves_the_case_on_and_a_second_skip_is_a_conflict(api, rejected):
    run = rejected()
    oscar = api("oscar")

    response = oscar.post(url(run, "skip"), {"reason": "Validated by phone"}, format="json")

    assert response.status_code == 200, response.content
    item = response.json()
    assert (item["id"], item["status"], item["case"]["state"]) == (run.pk, "skipped", "approval")
    assert state_of(run) == "approval"
    again = oscar.post(url(run, "skip"), {"reason": "Validated by phone"}, format="json")
    assert again.status_code == 409
    assert "skipped" in again.json()["detail"]


def test_retry_with_corrected_data_sends_a_new_request(api, rejected, erp, django_capture_on_commit_callbacks):
    run = rejected()
    erp.expect_oneshot_request(ERP_PATH, method="POST").respond_with_json({"reference": "ERP-42"}, status=201)

    with django_capture_on_commit_callbacks(execute=True):
        response = api("oscar").post(
            url(run, "retry"), {"data": {"vendor": "ACME"}, "note": "Vendor name corrected"}, format="json"
        )

    assert response.status_code == 200, response.content
    item = response.json()
    assert (item["revision"], item["idempotency_key"]) == (2, f"wms-{run.case_id}-erp_check-r2")
    (first, _), (second, _) = erp.log
    assert first.headers["Idempotency-Key"] == f"wms-{run.case_id}-erp_check-r1"
    assert second.headers["Idempotency-Key"] == f"wms-{run.case_id}-erp_check-r2"
    assert json.loads(second.get_data())["vendor"] == "ACME"
    assert second.headers["Authorization"] == f"Bearer {TOKEN}"
    run.refresh_from_db()
    assert run.status == "succeeded"
    case = Case.objects.get(pk=run.case_id)
    assert (case.state, case.data["vendor"], case.data["erp_reference"]) == ("approval", "ACME", "ERP-42")


def test_retry_without_changes_keeps_the_idempotency_key(api, rejected):
    run = rejected()

    response = api("oscar").post(url(run, "retry"), {}, format="json")

    assert response.status_code == 200, response.content
    item = response.json()
    assert (item["status"], item["revision"], item["idempotency_key"]) == ("pending", 1, run.idempotency_key)
    assert item["case"]["state"] == "waiting"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"data": ["vendor", "ACME"]}, "data"),
        ({"data": "ACME"}, "data"),
        ({"data": None}, "data"),
        ({"note": 5}, "note"),
        ({"data": {"vendor": "ACME"}, "vendr": "ACME"}, "vendr"),
        ({"data": {"amount": "a lot"}}, "amount"),
    ],
)
def test_retry_rejects_malformed_input_naming_the_field(api, rejected, body, field):
    run = rejected()

    response = api("oscar").post(url(run, "retry"), body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert StepRun.objects.get(pk=run.pk).revision == 1


def test_unknown_keys_are_named_on_every_action(api, rejected):
    run = rejected()
    oscar = api("oscar")

    for action in ["retry", "skip", "assign", "cancel"]:
        response = oscar.post(url(run, action), {"force": True, "note": ["x"]}, format="json")
        assert response.status_code == 400, action
        assert response.json()["errors"]["force"] == [MSG_UNKNOWN_FIELD], action
    listed = oscar.post(url(run, "skip"), ["By hand"], format="json")
    assert listed.status_code == 400
    assert StepRun.objects.get(pk=run.pk).status == "exception"


def test_assign_routes_the_step_to_a_person_who_may_then_see_it(api, rejected):
    run = rejected()

    response = api("oscar").post(url(run, "assign"), {"username": "fiona", "note": "Vendor master data"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["assigned_to"] == "fiona"
    assert [i["id"] for i in api("oscar").get("/api/v1/exceptions/?assigned_to=fiona").json()] == [run.pk]
    assert api("fiona").get(url(run)).status_code == 200
    assert api("fiona").get("/api/v1/exceptions/").status_code == 403


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"username": "alice"}, MSG_ASSIGNEE_REQUESTER),
        ({"username": "nobody"}, None),
        ({}, None),
        ({"username": 7}, None),
    ],
)
def test_assign_to_someone_impossible_is_a_400_naming_username(api, rejected, body, message):
    run = rejected()

    response = api("oscar").post(url(run, "assign"), body, format="json")

    assert response.status_code == 400
    assert "username" in response.json()["errors"]
    if message:
        assert response.json()["detail"] == message


def test_cancel_closes_the_case(api, rejected):
    run = rejected()
    oscar = api("oscar")

    assert oscar.post(url(run, "cancel"), {"reason": " "}, format="json").status_code == 400
    response = oscar.post(url(run, "cancel"), {"reason": "Vendor does not exist"}, format="json")

    assert response.status_code == 200, response.content
    item = response.json()
    assert (item["status"], item["case"]["state"]) == ("cancelled", "cancelled")
    assert oscar.post(url(run, "cancel"), {"reason": "Again"}, format="json").status_code == 409


def test_an_operator_may_not_repair_their_own_case(api, rejected):
    run = rejected(requester="oscar")

    response = api("oscar").post(url(run, "skip"), {"reason": "Mine anyway"}, format="json")

    assert (response.status_code, response.json()["detail"]) == (403, MSG_OWN_CASE)


def test_an_action_on_an_unknown_step_is_a_404(api, demo):
    response = api("oscar").post("/api/v1/exceptions/999999/skip/", {"reason": "By hand"}, format="json")

    assert (response.status_code, response.json()["detail"]) == (404, MSG_NOT_FOUND)


# --- a case's steps ----------------------------------------------------------------------------------


def test_a_case_lists_its_steps_for_whoever_may_see_the_case(api, rejected):
    run = rejected()

    response = api("alice").get(f"/api/v1/cases/{run.case_id}/steps/")

    assert response.status_code == 200, response.content
    assert [(i["id"], i["status"], i["category"]) for i in response.json()] == [(run.pk, "exception", "rejected")]
    assert api("leo").get(f"/api/v1/cases/{run.case_id}/steps/").status_code == 403
    assert api("alice").get("/api/v1/cases/999999/steps/").status_code == 404


# --- the contract ------------------------------------------------------------------------------------


def test_the_schema_documents_the_queue(demo):
    schema = APIClient().get("/api/schema/?format=json").json()
    paths, components = schema["paths"], schema["components"]["schemas"]

    queue = paths["/api/v1/exceptions/"]["get"]
    assert {"category", "workflow", "status", "assigned_to", "page", "per_page"} <= {
        p["name"] for p in queue["parameters"]
    }
    for action, fields in [
        ("retry", {"data", "note"}),
        ("skip", {"reason"}),
        ("assign", {"username", "note"}),
        ("cancel", {"reason", "uncertain"}),
    ]:
        operation = paths[f"/api/v1/exceptions/{{run_id}}/{action}/"]["post"]
        request = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert set(components[request]["properties"]) == fields, action
    assert {"attempts_log", "last_request", "age_seconds"} <= set(components["StepRunDetail"]["properties"])
    assert "/api/v1/cases/{case_id}/steps/" in paths
