"""/metrics: refused without its token or an allowed address; Prometheus' own parser reads it;
the wms_ series count a constructed history exactly (test cases never), in a pinned number of
queries."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client, override_settings
from django_q.brokers import get_broker
from django_q.signing import SignedPackage
from prometheus_client.parser import text_string_to_metric_families
from viewflow.workflow.status import PROCESS

from apps.cases.models import Case
from apps.cases.services import case_start, case_start_test, case_withdraw, task_complete
from apps.core.heartbeats import WORKER, heartbeat_beat
from apps.definitions.selectors import version_live
from apps.definitions.services import definition_create, draft_create_from, version_publish
from apps.ops.collector import BusinessCollector
from apps.sla.sweeper import sla_sweep
from tests.conftest import task_for

TOKEN = "metrics-token-0123456789"
NOON = datetime(2027, 3, 3, 12, 0, tzinfo=UTC)


def scrape(**headers):
    return Client().get("/metrics", **headers)


def samples(text: str) -> dict:
    """{(sample name, sorted labels): value} of an exposition text, read by prometheus_client."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@pytest.mark.parametrize(
    ("token", "ips", "debug", "headers", "remote", "status"),
    [
        ("", [], False, {}, "127.0.0.1", 403),  # nothing configured: refused
        ("", [], True, {}, "127.0.0.1", 200),  # ... except in development
        (TOKEN, [], False, {}, "127.0.0.1", 403),
        (TOKEN, [], False, {"HTTP_AUTHORIZATION": "Bearer wrong"}, "127.0.0.1", 403),
        (TOKEN, [], True, {"HTTP_AUTHORIZATION": "Bearer wrong"}, "127.0.0.1", 403),  # a token set holds in DEBUG
        (TOKEN, [], False, {"HTTP_AUTHORIZATION": f"Token {TOKEN}"}, "127.0.0.1", 403),
        (TOKEN, [], False, {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}, "127.0.0.1", 200),
        ("", ["10.0.0.0/8"], False, {}, "10.20.30.40", 200),
        ("", ["10.0.0.0/8"], False, {}, "192.168.1.1", 403),
        ("", ["10.0.0.5"], False, {"HTTP_X_FORWARDED_FOR": "10.0.0.5"}, "192.168.1.1", 403),  # no proxy trusted
        ("", ["not-an-address"], False, {}, "10.0.0.5", 403),
    ],
)
def test_who_may_scrape(db, token, ips, debug, headers, remote, status):
    with override_settings(METRICS_TOKEN=token, METRICS_ALLOWED_IPS=ips, DEBUG=debug):
        response = scrape(REMOTE_ADDR=remote, **headers)
    assert response.status_code == status
    if status == 403:
        assert "wms_" not in response.content.decode()


@override_settings(METRICS_TOKEN=TOKEN)
def test_the_output_parses_and_has_the_request_histogram(db):
    Client().get("/health/")
    response = scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    families = {family.name: family for family in text_string_to_metric_families(response.content.decode())}
    assert families["wms_http_request_duration_seconds"].type == "histogram"
    health = [
        s
        for s in families["wms_http_request_duration_seconds"].samples
        if s.name.endswith("_count") and s.labels["route"] == "/health/"
    ]
    assert health and health[0].labels["method"] == "GET" and health[0].labels["status"] in ("200", "503")
    for name in ("wms_cases_started", "wms_cases_closed", "wms_sla_breaches", "wms_step_failures"):
        assert families[name].type == "counter"
    for name in (
        "wms_open_tasks",
        "wms_queue_depth",
        "wms_queue_oldest_age_seconds",
        "wms_worker_heartbeat_age_seconds",
    ):
        assert families[name].type == "gauge"


def _rework_workflow(demo):
    spec = {
        "fields": [
            {"name": "amount", "type": "decimal", "label": "Amount", "required": True},
            {"name": "reference", "type": "text", "label": "Reference", "required_before": "review"},
        ],
        "stages": [{"key": "review", "name": "Review", "approvers": [{"key": "bob", "type": "user", "user": "bob"}]}],
    }
    draft = definition_create(key="ops-rework", name="Ops rework", spec=spec, actor=demo["olivia"])
    version_publish(version=draft, actor=demo["olivia"])


def _sla_workflow(demo):
    spec = {
        "fields": [{"name": "amount", "type": "decimal", "label": "Amount", "required": True}],
        "stages": [{"key": "review", "name": "Review", "approvers": [{"key": "bob", "type": "user", "user": "bob"}]}],
        "sla": {"case": {"target_hours": 1, "business": False, "levels": []}},
    }
    draft = definition_create(key="ops-sla", name="Ops SLA", spec=spec, actor=demo["olivia"])
    return version_publish(version=draft, actor=demo["olivia"])


@pytest.fixture
def history(demo, start_purchase, start_invoice, erp_settings):
    """Purchases: one rejected, one withdrawn, one open (plus an open test case); one case of a
    workflow whose one-hour SLA breaches (plus a test case of it); one invoice whose
    ERP step is refused (422: failed for good, "rejected"); one case returned to its requester."""
    erp_settings.expect_request("/erp/invoices", method="POST").respond_with_json({"message": "no"}, status=422)
    with time_machine.travel(NOON - timedelta(days=2), tick=False):
        rejected, withdrawn, _open = start_purchase(), start_purchase(), start_purchase()
        task_complete(
            task_id=task_for(rejected, "Manager approval").pk, actor=demo["bob"], decision="reject", reason="No budget"
        )
        case_withdraw(case_id=withdrawn.pk, actor=demo["alice"], reason="Not needed")
        draft = draft_create_from(version=version_live(key="purchase-approval"), actor=demo["olivia"])
        case_start_test(version=draft, data={"amount": "100", "vendor": "X", "cost_center": "C"}, actor=demo["olivia"])
        live = _sla_workflow(demo)
        case_start(workflow="ops-sla", data={"amount": "5"}, actor=demo["alice"])
        sla_draft = draft_create_from(version=live, actor=demo["olivia"])
        case_start_test(version=sla_draft, data={"amount": "5"}, actor=demo["olivia"])
        start_invoice()
        _rework_workflow(demo)
        case_start(workflow="ops-rework", data={"amount": "5"}, actor=demo["alice"])  # no reference: returned
    with time_machine.travel(NOON - timedelta(days=1), tick=False):
        breaches = [f for f in sla_sweep() if f.action == "breach"]
    assert len(breaches) == 1  # a test case runs no SLA clock at all (events.real_cases_only)
    assert Case.objects.filter(is_test=True, status=PROCESS.NEW).count() == 2  # each with an open task


@override_settings(METRICS_TOKEN=TOKEN)
def test_the_business_series_count_the_history_and_never_a_test_case(history):
    with time_machine.travel(NOON - timedelta(seconds=90), tick=False):
        get_broker().enqueue(SignedPackage.dumps({"id": "x", "func": "math.floor", "args": (1,), "kwargs": {}}))
    with time_machine.travel(NOON - timedelta(seconds=30), tick=False):
        heartbeat_beat(name=WORKER)
    with time_machine.travel(NOON, tick=False):
        got = samples(scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode())
    wms = {key: value for key, value in got.items() if key[0].startswith("wms_") and "http" not in key[0]}
    assert wms == {
        ("wms_cases_started_total", (("workflow", "invoice-test"),)): 1,
        ("wms_cases_started_total", (("workflow", "ops-rework"),)): 1,
        ("wms_cases_started_total", (("workflow", "ops-sla"),)): 1,
        ("wms_cases_started_total", (("workflow", "purchase-approval"),)): 3,
        ("wms_cases_closed_total", (("outcome", "rejected"), ("workflow", "purchase-approval"))): 1,
        ("wms_cases_closed_total", (("outcome", "withdrawn"), ("workflow", "purchase-approval"))): 1,
        ("wms_open_tasks", (("stage", "approval"), ("workflow", "purchase-approval"))): 1,
        ("wms_open_tasks", (("stage", "review"), ("workflow", "ops-sla"))): 1,
        ("wms_open_tasks", (("stage", "rework"), ("workflow", "ops-rework"))): 1,
        ("wms_sla_breaches_total", (("kind", "case"), ("workflow", "ops-sla"))): 1,
        ("wms_step_failures_total", (("category", "rejected"), ("workflow", "invoice-test"))): 1,
        ("wms_queue_depth", ()): 1,
        ("wms_queue_oldest_age_seconds", ()): 90,
        ("wms_worker_heartbeat_age_seconds", ()): 30,
        ("wms_job_last_run_age_seconds", (("job", "worker"),)): 30,
    }


def test_a_scrape_costs_a_fixed_handful_of_queries(history, django_assert_num_queries):
    # cases by outcome, open tasks, breaches, step failures, queue depth, oldest message, heartbeats
    with django_assert_num_queries(7):
        list(BusinessCollector().collect())


def test_no_worker_heartbeat_reads_as_nan_not_zero(db):
    got = samples("".join(_expose()))
    value = got[("wms_worker_heartbeat_age_seconds", ())]
    assert value != value  # NaN


def _expose():
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(BusinessCollector())
    yield generate_latest(registry).decode()
