"""The demo ERP: its API (token, validation, one effect per Idempotency-Key, undo, each mode),
its operators' page, and the invoice-processing workflow calling it for real over HTTP."""

import json
import re

import pytest
from django.conf import settings
from django.test import override_settings

from apps.automation.models import StepRun
from apps.cases.models import Case
from apps.cases.services import case_start
from apps.definitions.models import DefinitionVersion
from apps.demo import services
from apps.demo.management.commands.seed_demo import seed_demo_data
from apps.demo.models import ErpCall, ErpInvoice, ErpMode, ErpSettings
from apps.demo.selectors import MSG_NOT_ALLOWED
from apps.org.services import person_upsert
from tests.concurrency import POSTGRES_ONLY, run_together
from tests.conftest import open_tasks

URL = "/demo/erp/invoices"
INVOICE = {"invoice": "INV-1001", "amount": "1200.00", "vendor": "ACME Ltd"}


def postgres_only(test):
    for mark in reversed(POSTGRES_ONLY):
        test = mark(test)
    return test


@pytest.fixture
def erp(client):
    """POST or DELETE to the ERP as the WMS does: bearer token, JSON, an Idempotency-Key."""

    def call(method="post", path=URL, body=INVOICE, key="wms-1-erp_check-r1", token=None):
        headers = {"Authorization": f"Bearer {token or settings.WMS_SECRETS['ERP_TOKEN']}"}
        if key:
            headers["Idempotency-Key"] = key
        if method == "delete":
            return client.delete(path, headers=headers)
        return client.post(path, data=json.dumps(body), content_type="application/json", headers=headers)

    return call


def set_mode(mode):
    ErpSettings.objects.update_or_create(pk=1, defaults={"mode": mode})


# --- the API --------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "demo-erp-token"}])
def test_booking_needs_the_bearer_token(client, headers):
    answer = client.post(URL, data=json.dumps(INVOICE), content_type="application/json", headers=headers)
    assert answer.status_code == 401 and answer.json() == {"message": services.MSG_UNAUTHORIZED}
    assert not ErpInvoice.objects.exists()
    assert list(ErpCall.objects.values_list("status_code", "effect")) == [(401, False)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change, message",
    [
        ({"vendor": ""}, services.MSG_VENDOR_REQUIRED),
        ({"vendor": "Nobody Inc"}, services.MSG_VENDOR_UNKNOWN.format(vendor="Nobody Inc")),
        ({"amount": "0"}, services.MSG_AMOUNT_INVALID),
        ({"amount": -5}, services.MSG_AMOUNT_INVALID),
        ({"amount": "lots"}, services.MSG_AMOUNT_INVALID),
        ({"invoice": " "}, services.MSG_INVOICE_REQUIRED),
    ],
)
def test_invalid_invoices_are_refused_with_422(erp, change, message):
    answer = erp(body={**INVOICE, **change})
    assert answer.status_code == 422 and answer.json() == {"message": message}
    assert not ErpInvoice.objects.exists()


@pytest.mark.django_db
def test_a_body_that_is_not_a_json_object_is_refused(client):
    headers = {"Authorization": f"Bearer {settings.WMS_SECRETS['ERP_TOKEN']}"}
    answer = client.post(URL, data="[1, 2]", content_type="application/json", headers=headers)
    assert answer.status_code == 422 and answer.json() == {"message": services.MSG_NOT_JSON}


@pytest.mark.django_db
def test_the_same_key_twice_books_one_invoice_and_answers_the_same(erp):
    first, second = erp(), erp(path=URL + "/")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    invoice = ErpInvoice.objects.get()
    assert first.json() == {
        "reference": invoice.reference,
        "status": "booked",
        "invoice": "INV-1001",
        "vendor": "ACME Ltd",
        "amount": "1200.00",
    }
    assert re.fullmatch(r"ERP-\d{6}", invoice.reference)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert list(ErpCall.objects.order_by("pk").values_list("idempotency_key", "status_code", "effect")) == [
        ("wms-1-erp_check-r1", 201, True),
        ("wms-1-erp_check-r1", 201, False),
    ]


@pytest.mark.django_db
def test_a_new_key_books_a_new_invoice_and_a_reused_key_for_another_invoice_is_refused(erp):
    erp(key="k-1")
    assert erp(key="k-2").status_code == 201
    reused = erp(key="k-1", body={**INVOICE, "amount": "999.00"})
    assert reused.status_code == 422 and reused.json() == {"message": services.MSG_KEY_REUSED}
    assert ErpInvoice.objects.count() == 2


@postgres_only
def test_concurrent_requests_with_one_key_book_once():
    answers = run_together(*[lambda: services.erp_invoice_book(payload=INVOICE, key="race-1")] * 4)
    assert all(isinstance(a, services.Answer) for a in answers), answers
    assert {(a.status, json.dumps(a.body, sort_keys=True)) for a in answers} == {
        (201, json.dumps(ErpInvoice.objects.get().response, sort_keys=True))
    }
    assert sum(a.effect for a in answers) == 1


@pytest.mark.django_db
def test_undo_cancels_once_and_answers_the_same_again(erp):
    reference = erp().json()["reference"]
    first = erp(method="delete", path=f"{URL}/{reference}", key="wms-1-erp_check-undo-r1")
    again = erp(method="delete", path=f"{URL}/{reference}/", key="wms-1-erp_check-undo-r1")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and first.json()["status"] == "cancelled"
    assert ErpInvoice.objects.get().cancelled is not None
    assert list(ErpCall.objects.filter(method="DELETE").order_by("pk").values_list("effect", flat=True)) == [
        True,
        False,
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("reference", ["ERP-999999", "nonsense", "ERP-99999999999999999999"])
def test_undo_of_an_unknown_invoice_is_404(erp, reference):
    answer = erp(method="delete", path=f"{URL}/{reference}")
    assert answer.status_code == 404 and answer.json() == {
        "message": services.MSG_NO_INVOICE.format(reference=reference)
    }


@pytest.mark.django_db
def test_undo_needs_the_bearer_token(erp):
    reference = erp().json()["reference"]
    assert erp(method="delete", path=f"{URL}/{reference}", token="wrong").status_code == 401
    assert ErpInvoice.objects.get().cancelled is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "mode, status, body",
    [
        (ErpMode.DOWN, 503, {"message": services.MSG_DOWN}),
        (ErpMode.REJECT, 422, {"message": "Vendor is blocked in the ERP"}),
        (ErpMode.RATE_LIMITED, 429, {"message": services.MSG_RATE_LIMITED}),
    ],
)
def test_a_broken_erp_books_nothing(erp, mode, status, body):
    set_mode(mode)
    answer = erp()
    assert answer.status_code == status and answer.json() == body
    assert not ErpInvoice.objects.exists()
    assert list(ErpCall.objects.values_list("mode", "status_code", "effect")) == [(mode, status, False)]
    if mode == ErpMode.RATE_LIMITED:
        assert answer.headers["Retry-After"] == "30"


@pytest.mark.django_db
def test_garbage_mode_answers_200_with_a_body_that_is_not_json(erp):
    set_mode(ErpMode.GARBAGE)
    answer = erp()
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        json.loads(answer.content)
    assert not ErpInvoice.objects.exists()


@pytest.mark.django_db
def test_slow_mode_answers_late_but_books(erp, monkeypatch):
    pauses = []
    monkeypatch.setattr(services.time, "sleep", pauses.append)
    set_mode(ErpMode.SLOW)
    assert erp().status_code == 201
    assert pauses == [services.SLOW_SECONDS] and services.SLOW_SECONDS > 5  # the invoice step's timeout
    assert ErpInvoice.objects.count() == 1


@pytest.mark.django_db
def test_reject_mode_still_cancels_and_replays_what_was_booked(erp):
    first = erp()
    set_mode(ErpMode.REJECT)
    assert erp().json() == first.json()
    assert erp(method="delete", path=f"{URL}/{first.json()['reference']}").status_code == 200


@pytest.mark.django_db
def test_other_methods_are_not_allowed(client):
    assert client.get(URL).status_code == 405
    assert client.put(f"{URL}/ERP-000001").status_code == 405


# --- the operators' page -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["oscar", "admin", "ivy"])
def test_operators_integrators_and_admins_see_the_page(client, demo, who):
    if who == "ivy":
        person_upsert(username="ivy", password="demo", email="ivy@example.com", roles=["integrators"])
    client.login(username=who, password="demo")
    page = client.get("/demo/erp/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Switch to down" in text and "No invoices booked yet." in text and "Vendor is blocked in the ERP" in text


@pytest.mark.parametrize("who", ["alice", "fiona", "olivia"])
def test_others_are_refused(client, demo, who):
    client.login(username=who, password="demo")
    page = client.get("/demo/erp/")
    assert page.status_code == 403 and MSG_NOT_ALLOWED in page.content.decode()
    assert client.post("/demo/erp/mode/", {"mode": "down"}).status_code == 403
    assert not ErpSettings.objects.exists()


def test_anonymous_people_sign_in_first(client, db):
    assert client.get("/demo/erp/").status_code == 302


def test_an_operator_switches_the_mode(client, demo):
    client.login(username="oscar", password="demo")
    answer = client.post("/demo/erp/mode/", {"mode": "reject"}, follow=True)
    assert answer.redirect_chain == [("/demo/erp/", 302)]
    text = answer.content.decode()
    assert services.MSG_MODE_SET.format(mode="reject") in text and "Switch to ok" in text
    assert ErpSettings.objects.get().mode == "reject" and ErpSettings.objects.get().changed_by == demo["oscar"]
    # and back again: the live demo switches many times
    assert client.post("/demo/erp/mode/", {"mode": "ok"}).status_code == 302
    assert ErpSettings.objects.get().mode == "ok"


def test_an_unknown_mode_is_refused(client, demo):
    client.login(username="oscar", password="demo")
    answer = client.post("/demo/erp/mode/", {"mode": "on_fire"}, follow=True)
    assert services.MSG_MODE_UNKNOWN.format(mode="on_fire", modes=", ".join(ErpMode.values)) in answer.content.decode()
    assert not ErpSettings.objects.exists()


def test_switching_needs_the_csrf_token(demo):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.login(username="oscar", password="demo")
    assert client.post("/demo/erp/mode/", {"mode": "down"}).status_code == 403


def test_htmx_polls_the_invoices_and_calls(client, demo, erp):
    erp()
    client.login(username="oscar", password="demo")
    fragment = client.get("/demo/erp/", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and "ERP-" in fragment and "wms-1-erp_check-r1" in fragment


# --- the workflow ----------------------------------------------------------------------------------


def test_seeding_publishes_invoice_processing_once(demo):
    seed_demo_data()
    versions = DefinitionVersion.objects.filter(definition__key="invoice-processing")
    assert [(v.number, v.status) for v in versions] == [(1, "published")]


def _start_invoice(alice, capture, **data):
    values = {"invoice_number": "INV-2001", "vendor": "ACME Ltd", "amount": "1200.00", "po_number": "PO-9", **data}
    with capture(execute=True):
        case, _ = case_start(workflow="invoice-processing", data=values, actor=alice)
    return Case.objects.get(pk=case.pk)


@pytest.mark.django_db(transaction=True)
def test_an_invoice_is_validated_in_the_erp_then_approved_by_finance(
    live_server, demo, django_capture_on_commit_callbacks
):
    with override_settings(WMS_ENDPOINTS={"ERP": live_server.url + "/demo/erp"}):
        case = _start_invoice(demo["alice"], django_capture_on_commit_callbacks)
    invoice = ErpInvoice.objects.get()
    assert case.state == "approval" and case.data["erp_reference"] == invoice.reference
    assert invoice.idempotency_key == f"wms-{case.pk}-erp_check-r1" and invoice.vendor == "ACME Ltd"
    assert sorted(t.data["label"] for t in open_tasks(case)) == ["Finance approval", "Manager approval"]
    assert StepRun.objects.get(case=case).status == "succeeded"


@pytest.mark.django_db(transaction=True)
def test_an_invoice_the_erp_rejects_goes_to_the_exception_queue(live_server, demo, django_capture_on_commit_callbacks):
    set_mode(ErpMode.REJECT)
    with override_settings(WMS_ENDPOINTS={"ERP": live_server.url + "/demo/erp"}):
        case = _start_invoice(demo["alice"], django_capture_on_commit_callbacks, amount="300.00")
    run = StepRun.objects.get(case=case)
    assert case.state == "exception" and not case.data.get("erp_reference")
    assert run.status == "exception" and run.category == "rejected"
    assert "Vendor is blocked in the ERP" in run.last_error and run.attempts == 1
    assert not ErpInvoice.objects.exists()


def test_the_demo_erp_is_not_served_unless_switched_on(settings):
    import importlib

    from django.test import Client
    from django.urls import clear_url_caches

    import wms.urls

    settings.WMS_DEMO_ERP = False
    try:
        clear_url_caches()
        importlib.reload(wms.urls)
        assert Client().post("/demo/erp/invoices", data={}, content_type="application/json").status_code == 404
    finally:
        settings.WMS_DEMO_ERP = True
        importlib.reload(wms.urls)
        clear_url_caches()


@pytest.mark.django_db(transaction=True)
def test_an_invoice_without_a_po_waits_for_an_operator_and_is_never_sent(
    live_server, demo, django_capture_on_commit_callbacks
):
    with override_settings(WMS_ENDPOINTS={"ERP": live_server.url + "/demo/erp"}):
        case = _start_invoice(demo["alice"], django_capture_on_commit_callbacks, po_number="")
    run = StepRun.objects.get(case=case)
    assert (case.state, run.category) == ("exception", "missing_data")
    assert run.last_error == "Field 'po_number' is empty; the call to ERP needs it."
    assert not ErpCall.objects.exists() and not ErpInvoice.objects.exists()
