"""The OpenAPI schema and Swagger UI: public, and describing the endpoints as they behave."""

import json
from unittest import mock

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError
from django.test import override_settings
from rest_framework.test import APIClient

from apps.api.schema import OPEN_TO_EVERY_USER

from .conftest import complete, start_case, started, task_named

SCHEMA_URL = "/api/schema/"
DOCS_URL = "/api/docs/"

V1_OPERATIONS = {
    ("/api/v1/auth/token/", "post"),
    ("/api/v1/workflows/", "get"),
    ("/api/v1/cases/", "get"),
    ("/api/v1/cases/", "post"),
    ("/api/v1/cases/{case_id}/", "get"),
    ("/api/v1/cases/{case_id}/steps/", "get"),
    ("/api/v1/tasks/", "get"),
    ("/api/v1/tasks/{task_id}/claim/", "post"),
    ("/api/v1/tasks/{task_id}/release/", "post"),
    ("/api/v1/tasks/{task_id}/reassign/", "post"),
    ("/api/v1/tasks/{task_id}/complete/", "post"),
    ("/api/v1/webhooks/", "get"),
    ("/api/v1/webhooks/", "post"),
    ("/api/v1/webhooks/{subscription_id}/", "get"),
    ("/api/v1/webhooks/{subscription_id}/", "patch"),
    ("/api/v1/webhooks/{subscription_id}/", "delete"),
    ("/api/v1/webhooks/{subscription_id}/deliveries/", "get"),
    ("/api/v1/webhooks/deliveries/{delivery_id}/redeliver/", "post"),
    ("/api/v1/definitions/{key}/export/", "get"),
    ("/api/v1/definitions/import/", "post"),
    ("/api/v1/cases/import/", "post"),
    ("/api/v1/cases/export/", "get"),
    ("/api/v1/exceptions/", "get"),
    ("/api/v1/exceptions/{run_id}/", "get"),
    ("/api/v1/exceptions/{run_id}/retry/", "post"),
    ("/api/v1/exceptions/{run_id}/retry-version/", "post"),
    ("/api/v1/exceptions/{run_id}/skip/", "post"),
    ("/api/v1/exceptions/{run_id}/assign/", "post"),
    ("/api/v1/exceptions/{run_id}/cancel/", "post"),
    ("/api/v1/metrics/", "get"),
    ("/api/v1/evidence/", "get"),
    ("/api/v1/hooks/{endpoint}/", "post"),
    ("/api/v1/schedules/", "get"),
    ("/api/v1/schedules/", "post"),
    ("/api/v1/schedules/{schedule_id}/", "get"),
    ("/api/v1/schedules/{schedule_id}/", "patch"),
}


def _clients(api):
    stale = APIClient()
    stale.credentials(HTTP_AUTHORIZATION="Token no-longer-valid")
    session = APIClient()
    session.login(username="oscar", password="demo")
    return {"anonymous": api(), "token": api("alice"), "session": session, "stale token": stale}


@pytest.fixture
def schema(demo):
    response = APIClient().get(SCHEMA_URL, HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return json.loads(response.content)


def _ref(schema, ref: str) -> dict:
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def _request_properties(schema, path, method) -> set:
    body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return set(_ref(schema, body["$ref"])["properties"])


def _response(schema, path, method, code="200") -> dict:
    return schema["paths"][path][method]["responses"][code]["content"]["application/json"]["schema"]


def test_schema_and_docs_are_served_to_every_client(api):
    for name, client in _clients(api).items():
        schema = client.get(SCHEMA_URL)
        assert schema.status_code == 200, name
        assert schema.content.startswith(b"openapi: 3"), name
        docs = client.get(DOCS_URL)
        assert docs.status_code == 200, name
        assert "text/html" in docs["Content-Type"]
        assert b"swagger-ui" in docs.content
        assert SCHEMA_URL.encode() in docs.content


def test_schema_as_json(demo):
    response = APIClient().get(SCHEMA_URL + "?format=json")
    assert response.status_code == 200
    assert json.loads(response.content)["openapi"].startswith("3.")


def test_schema_lists_every_v1_operation_once(schema):
    operations = {
        (path, method) for path, item in schema["paths"].items() for method in item if path.startswith("/api/v1/")
    }
    assert operations == V1_OPERATIONS
    ids = [op["operationId"] for item in schema["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_request_bodies_describe_their_own_inputs(schema):
    assert _request_properties(schema, "/api/v1/auth/token/", "post") == {"username", "password"}
    assert _request_properties(schema, "/api/v1/cases/", "post") == {"workflow", "data"}
    assert _request_properties(schema, "/api/v1/tasks/{task_id}/complete/", "post") == {
        "decision",
        "reason_code",
        "reason",
        "comment",
        "data",
    }


def test_lists_are_documented_as_arrays_with_paging(schema):
    for path, item in [("/api/v1/cases/", "Case"), ("/api/v1/tasks/", "Task"), ("/api/v1/workflows/", "Workflow")]:
        body = _response(schema, path, "get")
        assert body["type"] == "array", path
        assert body["items"]["$ref"].endswith("/" + item)
    for path in ["/api/v1/cases/", "/api/v1/tasks/"]:
        names = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert {"page", "per_page"} <= names


def test_case_and_task_components_carry_the_contract_fields(schema):
    case = _ref(schema, _response(schema, "/api/v1/cases/{case_id}/", "get")["$ref"])
    assert {"id", "workflow", "version", "status", "outcome", "data", "open_tasks", "route", "history"} <= set(
        case["properties"]
    )
    history = _ref(schema, case["properties"]["history"]["items"]["$ref"])
    assert {"at", "actor", "action", "step", "reason", "comment"} <= set(history["properties"])
    task = _ref(schema, _response(schema, "/api/v1/tasks/{task_id}/claim/", "post")["$ref"])
    assert {"id", "case", "name", "kind", "assignee", "role", "created"} <= set(task["properties"])


def test_idempotency_key_header_is_documented(schema):
    params = schema["paths"]["/api/v1/cases/"]["post"]["parameters"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in params)


def test_token_endpoint_needs_no_authentication_but_others_do(schema):
    assert schema["paths"]["/api/v1/auth/token/"]["post"]["security"] == [{}]
    security = schema["paths"]["/api/v1/cases/"]["get"]["security"]
    assert {"tokenAuth": []} in security


# --- error answers ---------------------------------------------------------------------------------

# Operations that need no credentials, and so cannot answer 401/403 the way the others do.
WITHOUT_CREDENTIALS = {("/api/v1/auth/token/", "post"), ("/api/v1/hooks/{endpoint}/", "post")}


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if path.startswith("/api/v1/"):
                yield path, method, operation


def _documents(schema, path, method) -> set[int]:
    return {int(code) for code in schema["paths"][path][method]["responses"]}


def test_every_error_answer_is_documented_in_the_one_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["detail"]
    assert set(error["properties"]) == {"detail", "errors"}
    for path, method, operation in _operations(schema):
        for code, response in operation["responses"].items():
            if int(code) >= 400:
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
                assert response["description"], (path, method, code)
        if "429" in operation["responses"]:
            assert "Retry-After" in operation["responses"]["429"]["headers"]


def test_every_operation_documents_401_and_403_or_says_why_not(schema):
    for path, method, _ in _operations(schema):
        documented = _documents(schema, path, method)
        if (path, method) in WITHOUT_CREDENTIALS:
            assert 401 in documented, (path, method)  # wrong password, or a bad signature
        elif (path, method) in OPEN_TO_EVERY_USER:
            assert 401 in documented and 403 not in documented, (path, method)
        else:
            assert {401, 403} <= documented, (path, method)
        assert 429 in documented, (path, method)


def test_error_statuses_follow_the_shape_of_each_operation(schema):
    for path, method, operation in _operations(schema):
        documented = _documents(schema, path, method)
        assert (404 in documented) == ("{" in path or "page" in {p["name"] for p in operation.get("parameters", [])})
        assert (413 in documented) == ("requestBody" in operation), (path, method)
    assert 409 in _documents(schema, "/api/v1/tasks/{task_id}/complete/", "post")
    assert 409 not in _documents(schema, "/api/v1/webhooks/", "post")
    assert 422 in _documents(schema, "/api/v1/cases/", "post")
    assert 400 not in _documents(schema, "/api/v1/cases/{case_id}/", "get")


def _assert_error(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert set(body) <= {"detail", "errors"}
    return body


def test_documented_error_statuses_are_what_the_code_answers(api, schema, demo):
    """Spot checks: one request per status, on an operation that documents it."""
    alice = api("alice")
    case = started(alice, amount="5000")
    finance = task_named(case, "Finance approval")
    checks = [
        ("/api/v1/cases/", "post", 400, alice.post("/api/v1/cases/", {}, format="json")),
        ("/api/v1/cases/", "get", 401, api().get("/api/v1/cases/")),
        ("/api/v1/auth/token/", "post", 401, api().post("/api/v1/auth/token/", {"username": "bob", "password": "x"})),
        ("/api/v1/exceptions/", "get", 403, alice.get("/api/v1/exceptions/")),
        ("/api/v1/metrics/", "get", 403, alice.get("/api/v1/metrics/")),
        ("/api/v1/metrics/", "get", 400, api("oscar").get("/api/v1/metrics/?from=tomorrow")),
        ("/api/v1/tasks/{task_id}/claim/", "post", 403, alice.post(f"/api/v1/tasks/{finance['id']}/claim/")),
        ("/api/v1/cases/{case_id}/", "get", 404, alice.get("/api/v1/cases/999999999/")),
        ("/api/v1/tasks/", "get", 404, alice.get("/api/v1/tasks/?page=99")),
        ("/api/v1/cases/", "post", 415, alice.post("/api/v1/cases/", "<case/>", content_type="application/xml")),
    ]
    manager = task_named(case, "Manager approval")["id"]
    assert complete(api("bob"), manager, decision="approve").status_code == 200
    again = complete(api("bob"), manager, decision="approve")
    checks.append(("/api/v1/tasks/{task_id}/complete/", "post", 409, again))
    key = {"HTTP_IDEMPOTENCY_KEY": "spot-check"}
    assert start_case(alice, key="spot-check").status_code == 201
    body = {"workflow": "purchase-approval", "data": {"amount": "1", "vendor": "X", "cost_center": "CC-1"}}
    checks.append(("/api/v1/cases/", "post", 422, alice.post("/api/v1/cases/", body, format="json", **key)))
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000):
        big = alice.post("/api/v1/cases/", {"workflow": "x" * 2000}, format="json")
    checks.append(("/api/v1/cases/", "post", 413, big))
    cache.clear()  # throttle counters
    rest = settings.REST_FRAMEWORK
    with override_settings(
        REST_FRAMEWORK={**rest, "DEFAULT_THROTTLE_RATES": {**rest["DEFAULT_THROTTLE_RATES"], "user": "1/min"}}
    ):
        alice.get("/api/v1/tasks/")
        checks.append(("/api/v1/tasks/", "get", 429, alice.get("/api/v1/tasks/")))
    cache.clear()
    throttled = checks[-1][-1]
    with mock.patch(
        "apps.api.views.case_selectors.case_list_for_user", side_effect=OperationalError("server closed the connection")
    ):
        away = alice.get("/api/v1/cases/")
    checks.append(("/api/v1/cases/", "get", 503, away))
    for path, method, status, response in checks:
        assert status in _documents(schema, path, method), (path, method, status)
        _assert_error(response, status)
    assert int(throttled["Retry-After"]) > 0
    assert int(away["Retry-After"]) > 0


# --- success answers: what is documented is what is returned ------------------------------------


def _properties(schema, body_schema) -> set:
    if body_schema.get("type") == "array":
        body_schema = body_schema["items"]
    return set(_ref(schema, body_schema["$ref"])["properties"])


def test_documented_case_task_and_workflow_fields_are_exactly_those_returned(api, schema):
    alice = api("alice")
    case = started(alice, amount="5000")
    assert set(case) == _properties(schema, _response(schema, "/api/v1/cases/", "post", "201"))
    assert set(case["open_tasks"][0]) == _properties(schema, _response(schema, "/api/v1/tasks/", "get"))
    assert set(alice.get(f"/api/v1/cases/{case['id']}/").json()) == _properties(
        schema, _response(schema, "/api/v1/cases/{case_id}/", "get")
    )
    task = api("fiona").get("/api/v1/tasks/").json()[0]
    assert set(task) == _properties(schema, _response(schema, "/api/v1/tasks/", "get"))
    workflow = alice.get("/api/v1/workflows/").json()[0]
    assert set(workflow) == _properties(schema, _response(schema, "/api/v1/workflows/", "get"))
