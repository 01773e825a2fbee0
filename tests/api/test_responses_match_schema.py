"""Real answers of every endpoint, validated against the OpenAPI schema the API serves.

The schema is generated as /api/schema/ generates it (drf-spectacular's generator). Each test
drives one part of the API through real requests, as the people who use it, and every JSON body
it gets back (successes and errors) must match the schema documented for that path, method and
status, *closed*: an object that lists its properties may carry no others. So a field returned
but not documented (or documented but not returned, or of another type, or null where it may
not be) fails here; the drift between answers and schema cannot come back unnoticed.

Each test names the operations it covers, and `test_every_operation_is_covered` holds the names
to the schema's list: a new endpoint needs a scenario here.
"""

import hashlib
import hmac
import json
import time
from datetime import datetime

import pytest
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from jsonschema import Draft202012Validator, FormatChecker

from apps.cases.services import case_start
from apps.integrations import endpoints

from .conftest import complete, started, task_named
from .specs import ERP_STEP, INVOICE_FIELDS

# Keywords whose value is one schema, or a list of schemas; "properties" maps names to schemas.
ONE_SCHEMA = {"items", "additionalProperties", "not"}
SCHEMA_LISTS = {"allOf", "anyOf", "oneOf"}
FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def is_moment(value) -> bool:
    """An ISO 8601 moment with its offset (jsonschema checks date-time only with an extra package)."""
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


def closed(schema):
    """OpenAPI 3.0 as JSON Schema, with no room for undocumented fields: `nullable` becomes a
    null alternative, and an object that lists its properties takes no others (free-form
    objects, documented with `additionalProperties: {}`, stay free-form)."""
    if not isinstance(schema, dict):
        return schema
    result = {}
    for key, value in schema.items():
        if key == "properties":
            result[key] = {name: closed(sub) for name, sub in value.items()}
        elif key in ONE_SCHEMA:
            result[key] = closed(value)
        elif key in SCHEMA_LISTS:
            result[key] = [closed(sub) for sub in value]
        elif key != "nullable":
            result[key] = value
    if "properties" in result:
        result.setdefault("additionalProperties", False)
    if schema.get("nullable"):
        result = {"anyOf": [result, {"type": "null"}]}
    return result


@pytest.fixture(scope="module")
def schema():
    """The schema as the API serves it (apps/api/urls.py: SpectacularAPIView, public)."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


def v1_operations(schema) -> set[tuple[str, str]]:
    return {(path, method) for path, item in schema["paths"].items() for method in item if path.startswith("/api/v1/")}


class Conformance:
    """Sends nothing itself: checks each answer a test got against the schema, and remembers
    which operations answered with a success that matched."""

    def __init__(self, schema):
        self.schema = schema
        self.components = {"schemas": {name: closed(s) for name, s in schema["components"]["schemas"].items()}}
        self.succeeded: set[tuple[str, str]] = set()

    def problems(self, body, body_schema) -> list[str]:
        validator = Draft202012Validator({**closed(body_schema), "components": self.components}, format_checker=FORMATS)
        return [
            f"{'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message}"
            for error in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path)))
        ]

    def __call__(self, response, method: str, path: str, status: int):
        """The body of `response`, after checking its status and that the schema documents it exactly."""
        where = f"{method.upper()} {path} -> {response.status_code}"
        assert response.status_code == status, f"{where}, expected {status}: {response.content[:500]!r}"
        responses = self.schema["paths"][path][method]["responses"]
        assert str(status) in responses, f"{where}: the schema does not document this status"
        assert response["Content-Type"] == "application/json", where
        body = response.json()
        documented = responses[str(status)]["content"]["application/json"]["schema"]
        problems = self.problems(body, documented)
        assert not problems, f"{where}: the answer does not match the schema:\n" + "\n".join(problems)
        if status < 300:
            self.succeeded.add((path, method))
        return body

    def assert_succeeded(self, operations: set[tuple[str, str]]) -> None:
        missing = operations - self.succeeded
        assert not missing, f"no successful answer was checked for {sorted(missing)}"


@pytest.fixture
def conforms(schema):
    return Conformance(schema)


# --- the closed schema itself --------------------------------------------------------------------


def test_an_undocumented_field_or_a_wrong_type_fails(schema, conforms):
    """The check is strict where it matters: extra fields, wrong types, null where not allowed."""
    task = {"$ref": "#/components/schemas/Task"}
    body = {
        "id": 1,
        "case": 2,
        "name": "Manager approval",
        "kind": "approval",
        "status": "open",
        "assignee": None,
        "role": "finance",
        "stage": "approval",
        "created": "2026-12-02T08:00:00.000001+00:00",
        "due": None,
        "breached": False,
        "next_escalation": {"action": "remind", "at": "2026-12-03T08:00:00+00:00"},
        "why": "",
        "missing": None,
        "message": None,
        "step_fields": [],
    }
    assert conforms.problems(body, task) == []
    assert conforms.problems({**body, "surprise": 1}, task) == [
        "(body): Additional properties are not allowed ('surprise' was unexpected)"
    ]
    assert conforms.problems({**body, "next_escalation": {"action": "remind", "at": "x", "by": 1}}, task)
    assert conforms.problems({**body, "breached": None}, task)
    assert conforms.problems({**body, "kind": "coffee"}, task)
    assert conforms.problems({**body, "created": "2026-12-02T08:00:00"}, task)  # no offset
    without_id = {key: value for key, value in body.items() if key != "id"}
    assert conforms.problems(without_id, task) == ["(body): 'id' is a required property"]


# --- sign-in and workflows -------------------------------------------------------------------------

SIGN_IN = {("/api/v1/auth/token/", "post"), ("/api/v1/workflows/", "get")}


def test_sign_in_and_workflows(api, conforms):
    token = "/api/v1/auth/token/"
    conforms(api().post(token, {"username": "alice", "password": "demo"}, format="json"), "post", token, 200)
    conforms(api().post(token, {"username": "alice", "password": "nope"}, format="json"), "post", token, 401)
    conforms(api().post(token, {"username": "alice"}, format="json"), "post", token, 400)
    workflows = conforms(api("alice").get("/api/v1/workflows/"), "get", "/api/v1/workflows/", 200)
    assert any(w["key"] == "purchase-approval" and w["reason_codes"] for w in workflows)
    conforms(api().get("/api/v1/workflows/"), "get", "/api/v1/workflows/", 401)
    conforms.assert_succeeded(SIGN_IN)


# --- cases and tasks -------------------------------------------------------------------------------

CASES_AND_TASKS = {
    ("/api/v1/cases/", "get"),
    ("/api/v1/cases/", "post"),
    ("/api/v1/cases/{case_id}/", "get"),
    ("/api/v1/tasks/", "get"),
    ("/api/v1/tasks/{task_id}/claim/", "post"),
    ("/api/v1/tasks/{task_id}/release/", "post"),
    ("/api/v1/tasks/{task_id}/reassign/", "post"),
    ("/api/v1/tasks/{task_id}/complete/", "post"),
}
REASSIGN = "/api/v1/tasks/{task_id}/reassign/"
CASE = "/api/v1/cases/{case_id}/"
DECIDE = "/api/v1/tasks/{task_id}/complete/"


def test_cases_and_tasks_through_approval_rework_and_rejection(api, conforms):
    alice, bob, fiona = api("alice"), api("bob"), api("fiona")
    created = alice.post(
        "/api/v1/cases/",
        {"workflow": "purchase-approval", "data": {"amount": "5000", "vendor": "ACME Ltd", "cost_center": "CC-100"}},
        format="json",
    )
    case = conforms(created, "post", "/api/v1/cases/", 201)
    conforms(alice.post("/api/v1/cases/", {}, format="json"), "post", "/api/v1/cases/", 400)

    # A role's queue: unassigned, claimable, with an SLA (due and the next escalation).
    queue = conforms(fiona.get("/api/v1/tasks/"), "get", "/api/v1/tasks/", 200)
    finance = next(t for t in queue if t["case"] == case["id"])
    assert finance["role"] and finance["assignee"] is None and finance["next_escalation"]
    claim, release = f"/api/v1/tasks/{finance['id']}/claim/", f"/api/v1/tasks/{finance['id']}/release/"
    assert conforms(fiona.post(claim), "post", "/api/v1/tasks/{task_id}/claim/", 200)["assignee"] == "fiona"
    assert conforms(fiona.post(release), "post", "/api/v1/tasks/{task_id}/release/", 200)["assignee"] is None
    conforms(alice.post(claim), "post", "/api/v1/tasks/{task_id}/claim/", 403)

    # Moved by hand by an operator: to a person, refused without a reason, refused to the requester.
    reassign, oscar = f"/api/v1/tasks/{finance['id']}/reassign/", api("oscar")
    moved = conforms(oscar.post(reassign, {"to": "frank", "reason": "Fiona is at a course"}), "post", REASSIGN, 200)
    assert moved["assignee"] == "frank"
    conforms(oscar.post(reassign, {"to": "fiona"}), "post", REASSIGN, 400)
    conforms(alice.post(reassign, {"to": "fiona", "reason": "mine"}), "post", REASSIGN, 403)
    assert conforms(oscar.post(reassign, {"to": "role:finance", "reason": "Back"}), "post", REASSIGN, 200)["role"]

    # Sent back to the requester: a rework task (missing, message), resubmitted.
    manager = task_named(case, "Manager approval")["id"]
    returned = complete(bob, manager, decision="return", reason="Quote missing", comment="Attach the quote")
    assert conforms(returned, "post", DECIDE, 200)["case_state"] == "rework"
    conforms(complete(bob, manager, decision="approve"), "post", DECIDE, 409)
    rework = next(
        t for t in conforms(alice.get("/api/v1/tasks/"), "get", "/api/v1/tasks/", 200) if t["case"] == case["id"]
    )
    assert rework["kind"] == "rework" and rework["missing"] is not None and rework["message"] is not None
    conforms(complete(alice, rework["id"], decision="submit"), "post", DECIDE, 200)

    # Rejected: a closed case, with an outcome, a closing moment and its history.
    second = started(alice, amount="700")
    conforms(
        complete(bob, task_named(second, "Manager approval")["id"], decision="reject", reason="Too dear"),
        "post",
        DECIDE,
        200,
    )
    closed_case = conforms(alice.get(CASE.format(case_id=second["id"])), "get", CASE, 200)
    assert closed_case["status"] == "closed" and closed_case["closed"] and closed_case["history"]

    cases = conforms(alice.get("/api/v1/cases/", {"per_page": 1}), "get", "/api/v1/cases/", 200)
    assert len(cases) == 1
    conforms(alice.get("/api/v1/cases/", {"page": 99}), "get", "/api/v1/cases/", 404)
    conforms(alice.get(CASE.format(case_id=999999999)), "get", CASE, 404)
    conforms(api().get("/api/v1/cases/"), "get", "/api/v1/cases/", 401)
    conforms.assert_succeeded(CASES_AND_TASKS)


# --- automated steps and the exception queue -------------------------------------------------------

EXCEPTIONS = {
    ("/api/v1/cases/{case_id}/steps/", "get"),
    ("/api/v1/exceptions/", "get"),
    ("/api/v1/exceptions/{run_id}/", "get"),
    ("/api/v1/exceptions/{run_id}/retry/", "post"),
    ("/api/v1/exceptions/{run_id}/skip/", "post"),
    ("/api/v1/exceptions/{run_id}/assign/", "post"),
    ("/api/v1/exceptions/{run_id}/cancel/", "post"),
}
APPROVAL = {"key": "approval", "name": "Approval", "approvers": [{"key": "manager", "type": "manager"}]}


@pytest.fixture
def failed_step(demo, api, publish, httpserver, django_capture_on_commit_callbacks):
    """Start an invoice case whose ERP check is refused (422): its step waits in the exception
    queue. Returns the step as the API lists it on its case."""
    publish("invoice-schema", [ERP_STEP, APPROVAL], fields=INVOICE_FIELDS)
    httpserver.expect_request("/erp/invoices").respond_with_json({"message": "Unknown vendor"}, status=422)

    def _failed() -> dict:
        with override_settings(WMS_ENDPOINTS={"ERP": httpserver.url_for("/erp")}):
            with django_capture_on_commit_callbacks(execute=True):
                case, _ = case_start(workflow="invoice-schema", data={"vendor": "ACM"}, actor=demo["alice"])
        (run,) = api("alice").get(f"/api/v1/cases/{case.pk}/steps/").json()
        assert run["status"] == "exception", run["last_error"]
        return run

    return _failed


def test_the_exception_queue_and_its_repairs(api, conforms, failed_step, httpserver):
    oscar = api("oscar")
    runs = {action: failed_step() for action in ("retry", "skip", "assign", "cancel")}
    queue = conforms(oscar.get("/api/v1/exceptions/"), "get", "/api/v1/exceptions/", 200)
    assert len(queue) == len(runs)
    conforms(oscar.get("/api/v1/exceptions/", {"status": "nonsense"}), "get", "/api/v1/exceptions/", 400)
    conforms(api("alice").get("/api/v1/exceptions/"), "get", "/api/v1/exceptions/", 403)
    detail = f"/api/v1/exceptions/{runs['retry']['id']}/"
    assert conforms(oscar.get(detail), "get", "/api/v1/exceptions/{run_id}/", 200)["attempts_log"]
    steps = f"/api/v1/cases/{runs['retry']['case']['id']}/steps/"
    assert conforms(api("alice").get(steps), "get", "/api/v1/cases/{case_id}/steps/", 200)

    bodies = {
        "retry": {"note": "Try again"},
        "skip": {"reason": "Checked by phone"},
        "assign": {"username": "fiona", "note": "Vendor master data"},
        "cancel": {"reason": "Duplicate invoice"},
    }
    with override_settings(WMS_ENDPOINTS={"ERP": httpserver.url_for("/erp")}):
        for action, run in runs.items():
            url, path = f"/api/v1/exceptions/{run['id']}/{action}/", f"/api/v1/exceptions/{{run_id}}/{action}/"
            conforms(oscar.post(url, {**bodies[action], "reasn": "typo"}, format="json"), "post", path, 400)
            conforms(oscar.post(url, bodies[action], format="json"), "post", path, 200)
    conforms.assert_succeeded(EXCEPTIONS)


# A UI step (the small portal of tests/integrations/ui_portal.py) whose page changed, repaired with
# the script of a later version: the detail's `ui` object and the retry-version answer.
UI_REPAIR = {("/api/v1/exceptions/{run_id}/retry-version/", "post")}


@pytest.mark.usefixtures("ui_runner")
def test_a_ui_step_retried_with_a_later_versions_script(
    api, conforms, demo, publish, ui_portal, django_capture_on_commit_callbacks
):
    from apps.definitions.selectors import version_live
    from apps.definitions.services import draft_create_from, draft_update, version_publish
    from tests.integrations.ui_portal import PASSWORD, USER
    from tests.steps.test_ui_steps import FIELDS, ui_step

    oscar, olivia = api("oscar"), demo["olivia"]
    publish("order-schema", [ui_step(guard=False), APPROVAL], fields=FIELDS)
    ui_portal.mode = "changed"
    settings = {
        "WMS_ENDPOINTS": {"PORTAL": ui_portal.url},
        "WMS_SECRETS": {"PORTAL_USER": USER, "PORTAL_PASSWORD": PASSWORD},
    }
    with override_settings(**settings):
        with django_capture_on_commit_callbacks(execute=True):
            case, _ = case_start(
                workflow="order-schema", data={"po_number": "PO-1", "amount": "5"}, actor=demo["alice"]
            )
        (run,) = api("alice").get(f"/api/v1/cases/{case.pk}/steps/").json()
        detail = f"/api/v1/exceptions/{run['id']}/"
        assert conforms(oscar.get(detail), "get", "/api/v1/exceptions/{run_id}/", 200)["ui"]["unguarded"] is True
        draft = draft_create_from(version=version_live(key="order-schema"), actor=olivia)
        spec = {**draft.spec, "stages": [ui_step(guard=False, po_selector="#purchase-order"), APPROVAL]}
        version_publish(version=draft_update(version=draft, spec=spec, actor=olivia), actor=olivia)
        path = "/api/v1/exceptions/{run_id}/retry-version/"
        url = path.format(run_id=run["id"])
        conforms(oscar.post(url, {"version": 0}, format="json"), "post", path, 400)
        conforms(oscar.post(url, {"version": 3}, format="json"), "post", path, 409)
        with django_capture_on_commit_callbacks(execute=True):
            done = conforms(oscar.post(url, {"version": 2}, format="json"), "post", path, 200)
        assert done["status"] == "pending"  # queued: the worker runs version 2's script after the commit
        assert oscar.get(detail).json()["status"] == "succeeded"
    conforms.assert_succeeded(UI_REPAIR)


# --- webhook subscriptions and deliveries ----------------------------------------------------------

WEBHOOKS = {
    ("/api/v1/webhooks/", "get"),
    ("/api/v1/webhooks/", "post"),
    ("/api/v1/webhooks/{subscription_id}/", "get"),
    ("/api/v1/webhooks/{subscription_id}/", "patch"),
    ("/api/v1/webhooks/{subscription_id}/", "delete"),
    ("/api/v1/webhooks/{subscription_id}/deliveries/", "get"),
    ("/api/v1/webhooks/deliveries/{delivery_id}/redeliver/", "post"),
}
SUBSCRIPTION = "/api/v1/webhooks/{subscription_id}/"


def test_webhook_subscriptions_and_a_dead_delivery_sent_again(
    api, conforms, httpserver, django_capture_on_commit_callbacks
):
    admin, oscar = api("admin"), api("oscar")
    receiver = {"name": "ERP", "url": httpserver.url_for("/hook"), "events": ["case.started"]}
    subscription = conforms(admin.post("/api/v1/webhooks/", receiver, format="json"), "post", "/api/v1/webhooks/", 201)
    assert subscription["secret"]
    conforms(admin.post("/api/v1/webhooks/", {"name": "x"}, format="json"), "post", "/api/v1/webhooks/", 400)
    conforms(api("alice").get("/api/v1/webhooks/"), "get", "/api/v1/webhooks/", 403)
    assert conforms(admin.get("/api/v1/webhooks/"), "get", "/api/v1/webhooks/", 200)
    one = SUBSCRIPTION.format(subscription_id=subscription["id"])
    conforms(admin.get(one), "get", SUBSCRIPTION, 200)
    assert conforms(admin.patch(one, {"name": "ERP orders"}, format="json"), "patch", SUBSCRIPTION, 200)["name"]

    httpserver.expect_request("/hook").respond_with_data("gone", status=410)  # refused: dead at once
    with django_capture_on_commit_callbacks(execute=True):
        started(api("alice"))
    deliveries = conforms(oscar.get(f"{one}deliveries/"), "get", "/api/v1/webhooks/{subscription_id}/deliveries/", 200)
    assert [d["status"] for d in deliveries] == ["dead"], deliveries
    redeliver = f"/api/v1/webhooks/deliveries/{deliveries[0]['id']}/redeliver/"
    conforms(oscar.post(redeliver), "post", "/api/v1/webhooks/deliveries/{delivery_id}/redeliver/", 202)
    conforms(oscar.post(redeliver), "post", "/api/v1/webhooks/deliveries/{delivery_id}/redeliver/", 409)
    assert conforms(admin.delete(one), "delete", SUBSCRIPTION, 200)["is_active"] is False
    conforms.assert_succeeded(WEBHOOKS)


# --- moving definitions between installations ------------------------------------------------------

DEFINITIONS = {("/api/v1/definitions/{key}/export/", "get"), ("/api/v1/definitions/import/", "post")}


def test_a_definition_exported_and_imported(api, conforms):
    olivia = api("olivia")
    export_path = "/api/v1/definitions/{key}/export/"
    exported = conforms(olivia.get("/api/v1/definitions/purchase-approval/export/"), "get", export_path, 200)
    conforms(olivia.get("/api/v1/definitions/purchase-approval/export/", {"version": "1"}), "get", export_path, 200)
    conforms(api("bob").get("/api/v1/definitions/purchase-approval/export/"), "get", export_path, 403)
    conforms(olivia.get("/api/v1/definitions/no-such-thing/export/"), "get", export_path, 404)
    copy = {**exported, "key": "purchase-copy", "name": "Purchase copy"}
    imported = conforms(
        olivia.post("/api/v1/definitions/import/", copy, format="json"), "post", "/api/v1/definitions/import/", 201
    )
    assert imported["key"] == "purchase-copy"
    conforms(
        olivia.post("/api/v1/definitions/import/", {"format": "x"}, format="json"),
        "post",
        "/api/v1/definitions/import/",
        400,
    )
    conforms.assert_succeeded(DEFINITIONS)


# --- the signed inbound webhook --------------------------------------------------------------------

INBOUND = {("/api/v1/hooks/{endpoint}/", "post")}
SECRET = "schema-check-secret-0123456789abcdef"


def _signed(client, body: bytes, *, delivery: str, secret: str = SECRET):
    timestamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{delivery}.{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return client.post(
        "/api/v1/hooks/schema-orders/",
        data=body,
        content_type="application/json",
        HTTP_X_WMS_TIMESTAMP=str(timestamp),
        HTTP_X_WMS_SIGNATURE=f"sha256={digest}",
        HTTP_X_WMS_DELIVERY=delivery,
    )


def test_the_inbound_webhook_starts_a_case(api, demo, conforms):
    endpoints.endpoint_create(
        actor=demo["admin"],
        slug="schema-orders",
        name="Orders",
        workflow="purchase-approval",
        run_as=demo["alice"],
        field_map={"amount": "total", "vendor": "supplier", "cost_center": "cc"},
        secret=SECRET,
    )
    body = json.dumps({"total": "1250.00", "supplier": "ACME Ltd", "cc": "CC-100"}).encode()
    hook = "/api/v1/hooks/{endpoint}/"
    accepted = conforms(_signed(api(), body, delivery="d-1"), "post", hook, 202)
    assert accepted["delivery"] == "d-1"
    conforms(_signed(api(), body, delivery="d-1"), "post", hook, 409)
    conforms(_signed(api(), body, delivery="d-2", secret="wrong"), "post", hook, 401)
    conforms(_signed(api(), b"[1]", delivery="d-3"), "post", hook, 400)
    conforms.assert_succeeded(INBOUND)


# --- metrics -----------------------------------------------------------------------------------------

METRICS = {("/api/v1/metrics/", "get")}


def test_the_metrics_of_a_workflow_with_work_in_progress_and_a_decision(api, conforms):
    path = "/api/v1/metrics/"
    case = started(api("alice"), amount="5000")
    complete(api("fiona"), task_named(case, "Finance approval")["id"], decision="approve")
    started(api("alice"))
    body = conforms(api("oscar").get(path, {"workflow": "purchase-approval", "from": "2020-01-01"}), "get", path, 200)
    assert body["wip"]["open"] == 2 and body["approval_latency_hours"]["approval"]["p50"] is not None
    assert body["pending_approvals"] and body["filter"]["from"] == "2020-01-01"
    conforms(api("olivia").get(path), "get", path, 200)
    conforms(api("oscar").get(path, {"to": "2020-13-01"}), "get", path, 400)
    conforms(api("alice").get(path), "get", path, 403)
    conforms(api().get(path), "get", path, 401)
    conforms.assert_succeeded(METRICS)


# --- evidence ----------------------------------------------------------------------------------------

MIGRATION = {("/api/v1/cases/import/", "post"), ("/api/v1/cases/export/", "get")}


def test_cases_migrated_from_a_spreadsheet_and_exported(api, conforms, schema):
    from django.core.files.uploadedfile import SimpleUploadedFile

    path, export = "/api/v1/cases/import/", "/api/v1/cases/export/"
    text = "external_id,amount,vendor,stage,owner,requested_by\nM-1,10,ACME,approval,fiona,alice\nM-2,x,ACME,,,\n"

    def upload():
        return {"file": SimpleUploadedFile("m.csv", text.encode())}

    olivia = api("olivia")
    report = conforms(olivia.post(path + "?workflow=purchase-approval", upload()), "post", path, 200)
    assert [r["status"] for r in report["rows"]] == ["created", "error"]
    conforms(olivia.post(path + "?workflow=nope", upload()), "post", path, 400)
    conforms(api("alice").post(path + "?workflow=purchase-approval", upload()), "post", path, 403)
    conforms(api().post(path + "?workflow=purchase-approval", upload()), "post", path, 401)
    exported = olivia.get(export, {"workflow": "purchase-approval", "format": "csv"})
    assert exported.status_code == 200 and "text/csv" in schema["paths"][export]["get"]["responses"]["200"]["content"]
    conforms.succeeded.add((export, "get"))
    conforms(olivia.get(export, {"workflow": "purchase-approval", "format": "pdf"}), "get", export, 400)
    conforms(api("alice").get(export, {"workflow": "purchase-approval"}), "get", export, 403)
    conforms.assert_succeeded(MIGRATION)


EVIDENCE = {("/api/v1/evidence/", "get")}


def test_an_evidence_pack_is_a_zip_and_its_refusals_are_documented(api, conforms, schema):
    path = "/api/v1/evidence/"
    started(api("alice"))
    pack = api("audrey").get(path, {"from": "2020-01-01", "to": "2030-12-31"})
    assert pack.status_code == 200
    assert "application/zip" in schema["paths"][path]["get"]["responses"]["200"]["content"]
    assert b"".join(pack.streaming_content if pack.streaming else [pack.content])[:2] == b"PK"
    conforms.succeeded.add((path, "get"))
    conforms(api("audrey").get(path, {"from": "2020-13-01", "to": "2020-12-31"}), "get", path, 400)
    conforms(api("alice").get(path, {"from": "2020-01-01", "to": "2020-12-31"}), "get", path, 403)
    conforms(api().get(path, {"from": "2020-01-01", "to": "2020-12-31"}), "get", path, 401)
    conforms.assert_succeeded(EVIDENCE)


# --- schedules ---------------------------------------------------------------------------------------

SCHEDULES = {
    ("/api/v1/schedules/", "get"),
    ("/api/v1/schedules/", "post"),
    ("/api/v1/schedules/{schedule_id}/", "get"),
    ("/api/v1/schedules/{schedule_id}/", "patch"),
}


def test_a_schedule_made_changed_and_run_and_its_refusals_are_documented(api, conforms):
    from apps.schedules.selectors import schedule_get
    from apps.schedules.services import schedule_run_due

    path, item = "/api/v1/schedules/", "/api/v1/schedules/{schedule_id}/"
    body = {
        "workflow": "purchase-approval",
        "name": "Weekly order",
        "cron": "0 9 * * 1",
        "requester": "alice",
        "data": {"amount": "500", "vendor": "ACME Ltd", "cost_center": "CC-100"},
    }
    made = conforms(api("olivia").post(path, body, format="json"), "post", path, 201)
    schedule_run_due(schedule=schedule_get(schedule_id=made["id"]), at=datetime.fromisoformat(made["next_due_at"]))
    listed = conforms(api("olivia").get(path), "get", path, 200)
    [run] = next(s["runs"] for s in listed if s["id"] == made["id"])
    assert run["case"] is not None and run["status"] == "started" and run["late"] is False
    one = f"{path}{made['id']}/"
    conforms(api("olivia").get(one), "get", item, 200)
    conforms(api("olivia").patch(one, {"is_active": False}, format="json"), "patch", item, 200)
    conforms(api("olivia").post(path, {**body, "cron": "bad"}, format="json"), "post", path, 400)
    conforms(api("olivia").patch(one, {"every_days": "x"}, format="json"), "patch", item, 400)
    conforms(api("alice").get(path), "get", path, 403)
    conforms(api("alice").get(one), "get", item, 403)
    conforms(api("olivia").get(f"{path}999999/"), "get", item, 404)
    conforms(api().get(path), "get", path, 401)
    conforms.assert_succeeded(SCHEDULES)


def test_every_operation_is_covered(schema):
    covered = SIGN_IN | CASES_AND_TASKS | EXCEPTIONS | WEBHOOKS | DEFINITIONS | INBOUND | METRICS | EVIDENCE | MIGRATION
    covered |= SCHEDULES | UI_REPAIR
    assert covered == v1_operations(schema)
