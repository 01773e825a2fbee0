"""The API fuzzed against its own OpenAPI schema (schemathesis): for every operation, requests
generated from the schema, valid and invalid, each sent as a requester (alice), an approver
(fiona) and an operator (oscar), and where only they may act as a workflow owner (olivia,
definitions) or an administrator (webhook subscriptions), never get a 5xx, and every answer
(status, media type, headers, body) is one the schema documents. An operation that claims to
need credentials must refuse a request without them.

In process, through Django's WSGI handler (no server), inside the test's transaction. Bounded and
reproducible: a fixed seed, derandomized Hypothesis, MAX_EXAMPLES per operation (under a minute of
CPU on SQLite). Path ids and some body values (workflow, username, decision) are drawn half the
time from objects that exist (cases, tasks, a failed automated step, a webhook subscription and
its deliveries, an inbound endpoint), so the code past the 404 and the first 400 is reached too.
"""

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from viewflow.workflow.models import Task

from apps.automation.models import StepRun
from apps.cases.services import case_start
from apps.integrations import endpoints
from apps.integrations.models import EVENTS, WebhookDelivery
from apps.integrations.services import subscription_create

from .conftest import start_case, token_for
from .specs import ERP_STEP, INVOICE_FIELDS

MAX_EXAMPLES = 25
ROLES = ["alice", "fiona", "oscar"]  # a requester, a finance approver, an operator
# Operations only a workflow owner, an auditor or an administrator may use get them too: without them the code
# past the 403 (a definition import, a subscription change) would never be fuzzed.
OWNERS = {
    "/api/v1/definitions/": "olivia",
    "/api/v1/schedules/": "olivia",
    "/api/v1/webhooks/": "admin",
    "/api/v1/evidence/": "audrey",
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
]
# NOTE: schemathesis' positive_data_acceptance and negative_data_rejection are left out on purpose:
# a schema-valid request for a workflow that does not exist is rightly refused (400), and paging
# parameters that are not numbers are ignored (DRF's paginator), as documented.
# No operation is left out: the one file download (an evidence pack, a ZIP) is fuzzed as its
# auditor too, and its media type checked against the schema like any JSON answer.

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20261002,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        # The coverage phase enumerates every boundary of every field (thousands of requests):
        # past the bound we want in CI. Stateful links are not declared in the schema.
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler(), config=CONFIG)

# Ids of the objects the `world` fixture made, by path parameter name; read at draw time.
KNOWN: dict[str, list[str]] = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the time, each path parameter names an object that exists."""
    known = {name: KNOWN[name] for name in path_parameters or {} if KNOWN.get(name)}
    if not known:
        return st.just(path_parameters)
    existing = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in known.items()})
    return st.one_of(st.just(path_parameters), existing.map(lambda chosen: {**path_parameters, **chosen}))


# Body values that name things that exist, drawn half the time (as path ids are).
CASE_DATA = {"amount": "700", "vendor": "ACME Ltd", "cost_center": "CC-100"}
USERNAMES = ["bob", "frank", "oscar", "alice"]


def _with_known_values(body: dict) -> list[dict]:
    variants = []
    if "workflow" in body:
        variants.append({**body, "workflow": "purchase-approval", "data": CASE_DATA})
    if "username" in body:
        variants += [{**body, "username": name} for name in USERNAMES]
    if "decision" in body:
        variants += [{**body, "decision": decision} for decision in ("approve", "reject")]
    return variants


@schema.hook
def flatmap_body(context, body):
    """A case started on a real workflow, a step routed to a real person: past the first 400."""
    variants = _with_known_values(body) if isinstance(body, dict) else []
    if not variants:
        return st.just(body)
    return st.one_of(st.just(body), st.sampled_from(variants))


@pytest.fixture
def world(demo, api, publish, httpserver, django_capture_on_commit_callbacks):
    """Cases with open tasks, a step in the exception queue, a subscription with deliveries and
    an inbound endpoint, all made through the real services."""
    subscription = subscription_create(
        actor=demo["admin"], name="Fuzz receiver", url="https://hooks.example.com/wms", events=list(EVENTS)
    )
    endpoint = endpoints.endpoint_create(
        actor=demo["admin"],
        slug="fuzz-hook",
        name="Fuzz hook",
        workflow="purchase-approval",
        run_as=demo["alice"],
        field_map={"amount": "amount", "vendor": "vendor", "cost_center": "cost_center"},
    )
    for amount in ("500", "5000"):
        assert start_case(api("alice"), amount=amount).status_code == 201
    publish(
        "invoice-fuzz",
        [ERP_STEP, {"key": "ok", "name": "OK", "approvers": [{"key": "m", "type": "manager"}]}],
        fields=INVOICE_FIELDS,
    )
    httpserver.expect_request("/erp/invoices").respond_with_json({"message": "Unknown vendor"}, status=422)
    with override_settings(WMS_ENDPOINTS={"ERP": httpserver.url_for("/erp")}):
        with django_capture_on_commit_callbacks(execute=True):
            case_start(workflow="invoice-fuzz", data={"vendor": "ACM"}, actor=demo["alice"])
    runs = list(StepRun.objects.values_list("pk", flat=True))
    assert runs, "no automated step ran"
    case_ids = sorted({*Task.objects.values_list("process_id", flat=True)})
    KNOWN.update(
        case_id=[str(pk) for pk in case_ids],
        task_id=[str(pk) for pk in Task.objects.filter(process_id__in=case_ids).values_list("pk", flat=True)],
        run_id=[str(pk) for pk in runs],
        subscription_id=[str(subscription.pk)],
        delivery_id=[str(pk) for pk in WebhookDelivery.objects.values_list("pk", flat=True)],
        key=["purchase-approval", "invoice-fuzz"],
        endpoint=[endpoint.slug],
    )
    yield
    KNOWN.clear()


@pytest.fixture
def wsgi_in_test_transaction():
    """Django's test client does the same: the handler must not close the connection that holds
    the test's transaction at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    cache.clear()  # throttle counters
    yield
    cache.clear()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(world):
    return {username: token_for(username) for username in [*ROLES, *OWNERS.values()]}


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
def test_api_answers_as_documented(case, tokens, wsgi_in_test_transaction):
    """Each generated request is sent once as each role, in turn."""
    owners = [owner for prefix, owner in OWNERS.items() if case.path.startswith(prefix)]
    for username in [*ROLES, *owners]:
        try:
            case.call_and_validate(headers={"Authorization": f"Token {tokens[username]}"}, checks=CHECKS)
        except Exception as failure:
            failure.add_note(f"(sent as {username})")
            raise
