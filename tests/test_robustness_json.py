"""No JSON a client sends makes a 500: too deep or too large. The API answers in its
documented error shape ({"detail": ...}); portal forms that take JSON show the refusal inline."""

import json

import pytest
from rest_framework.test import APIClient

from apps.api.errors import MSG_TOO_LARGE
from apps.core.jsonsafe import MSG_TOO_DEEP
from apps.definitions.selectors import version_live
from apps.definitions.services import draft_create_from
from tests.definitions.test_steps_review import FIELDS, STAGES

DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
TOO_DEEP = MSG_TOO_DEEP.format(max_depth=64)


@pytest.fixture
def api(demo):
    def client_for(username=None):
        client = APIClient()
        if username:
            client.force_authenticate(demo[username])
        return client

    return client_for


@pytest.mark.parametrize(
    "body",
    [DEEP_ARRAY, DEEP_OBJECT, '{"username": ' + "[" * 100 + "]" * 100 + "}"],
    ids=["array-1000", "object-1000", "field-100"],
)
def test_deep_json_to_the_token_endpoint_is_a_400_without_signing_in(api, body):
    response = api().post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400
    assert TOO_DEEP in response.json()["detail"]


@pytest.mark.parametrize(
    "url", ["/api/v1/cases/", "/api/v1/definitions/import/", "/api/v1/webhooks/", "/api/v1/tasks/1/complete/"]
)
def test_deep_json_is_a_400_on_every_json_endpoint(api, url):
    response = api("admin").post(url, DEEP_OBJECT, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert TOO_DEEP in response.json()["detail"]


@pytest.mark.parametrize("form", ["multipart", "urlencoded"])
@pytest.mark.parametrize(
    ("url", "fields"),
    [("/api/v1/cases/", {"workflow": "purchase-approval"}), ("/api/v1/tasks/1/complete/", {"decision": "approve"})],
)
def test_deep_json_in_a_form_field_is_a_400_too(api, url, fields, form):
    """A form-encoded or multipart body reaches DRF's JSONField as a string it parses itself,
    past the JSON parser's bound: the same limit must hold there (it was a RecursionError, a 500)."""
    client = api("admin")
    if form == "multipart":
        response = client.post(url, {**fields, "data": DEEP_ARRAY}, format="multipart")
    else:
        body = "&".join(f"{k}={v}" for k, v in {**fields, "data": DEEP_ARRAY}.items())
        response = client.post(url, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["errors"]["data"] == [TOO_DEEP]


def test_json_of_ordinary_depth_still_works(api):
    data = {"workflow": "purchase-approval", "data": {"amount": "500", "vendor": "ACME Ltd", "cost_center": "CC-100"}}
    response = api("alice").post("/api/v1/cases/", data, format="json")
    assert response.status_code == 201, response.content


def test_a_body_too_large_is_a_413_in_the_api_error_shape(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    body = json.dumps({"workflow": "purchase-approval", "data": {"note": "x" * 2_000}})
    response = api("alice").post("/api/v1/cases/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"detail": MSG_TOO_LARGE.format(limit=1_000)}


def test_a_step_form_refuses_a_deep_json_body_at_the_field(client, publish, demo):
    publish("invoice-check", STAGES, FIELDS)
    draft_create_from(version=version_live(key="invoice-check"), actor=demo["olivia"])
    client.force_login(demo["olivia"])
    form = {
        "index": "new",
        "type": "http",
        "key": "archive",
        "name": "Archive the invoice",
        "system": "DMS",
        "method": "PUT",
        "url": "{{endpoint.DMS}}/api/invoices/{{case.id}}",
        "body": DEEP_OBJECT,
        "timeout_seconds": "20",
        "attempts": "5",
        "on_failure": "exception_queue",
    }
    response = client.post("/builder/invoice-check/draft/rows/steps/", form, HTTP_HX_REQUEST="true")
    assert response["HX-Retarget"] == "#row-steps--new"  # the form again, with the problem at the field
    page = response.content.decode()
    block = page[page.index('name="body"') :]
    assert TOO_DEEP in block[: block.index("</div>")]


def test_the_demo_erp_refuses_a_deep_body_like_any_malformed_invoice(client, demo, settings):
    token = f"Bearer {settings.WMS_SECRETS['ERP_TOKEN']}"
    malformed = client.post("/demo/erp/invoices/", "{", content_type="application/json", HTTP_AUTHORIZATION=token)
    deep = client.post("/demo/erp/invoices/", DEEP_ARRAY, content_type="application/json", HTTP_AUTHORIZATION=token)
    assert malformed.status_code == 422 and (deep.status_code, deep.content) == (422, malformed.content)
