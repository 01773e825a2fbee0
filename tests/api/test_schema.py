"""The OpenAPI schema and Swagger UI: public, and describing the endpoints as they behave."""

import json

import pytest
from rest_framework.test import APIClient

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
    ("/api/v1/exceptions/", "get"),
    ("/api/v1/exceptions/{run_id}/", "get"),
    ("/api/v1/exceptions/{run_id}/retry/", "post"),
    ("/api/v1/exceptions/{run_id}/skip/", "post"),
    ("/api/v1/exceptions/{run_id}/assign/", "post"),
    ("/api/v1/exceptions/{run_id}/cancel/", "post"),
    ("/api/v1/hooks/{endpoint}/", "post"),
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
