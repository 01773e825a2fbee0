"""Inbound webhooks: a signed POST starts a case; everything else is refused, and every call is logged."""

import hashlib
import hmac
import json
import logging
import time
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from apps.cases.models import Case
from apps.core.errors import NotAllowed, ValidationFailed
from apps.integrations import endpoints, inbound
from apps.integrations.models import InboundDelivery

SECRET = "whsec_" + "k" * 40


def sign(secret: str, delivery: str, timestamp: int, body: bytes) -> str:
    """What the README tells a sender to do: HMAC-SHA256 of "{delivery}.{timestamp}.{raw body}"."""
    message = f"{delivery}.{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_unbound(secret: str, timestamp: int, body: bytes) -> str:
    """The first scheme, which left the delivery id out: "{timestamp}.{raw body}"."""
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


@pytest.fixture
def endpoint(demo):
    service_user = get_user_model().objects.create_user("integration", email="integration@example.com")
    return endpoints.endpoint_create(
        actor=demo["admin"],
        slug="erp-orders",
        name="ERP orders",
        workflow="purchase-approval",
        run_as=service_user,
        field_map={"amount": "order.total", "vendor": "order.supplier.name", "cost_center": "order.cc"},
        secret=SECRET,
    )


def _payload(**order):
    values = {"total": "1250.00", "supplier": {"name": "ACME Ltd"}, "cc": "CC-100"}
    values.update(order)
    return json.dumps({"order": values}).encode()


@pytest.fixture
def post(client):
    def _post(body, *, delivery="d-1", secret=SECRET, timestamp=None, signature=None, slug="erp-orders"):
        timestamp = int(time.time()) if timestamp is None else timestamp
        signature = signature or sign(secret, delivery, timestamp, body)
        return client.post(
            f"/api/v1/hooks/{slug}/",
            data=body,
            content_type="application/json",
            HTTP_X_WMS_TIMESTAMP=str(timestamp),
            HTTP_X_WMS_SIGNATURE=signature,
            HTTP_X_WMS_DELIVERY=delivery,
        )

    return _post


def test_one_accepted_five_refused_one_case_six_log_rows(endpoint, post):
    body = _payload()
    accepted = post(body, delivery="d-1")
    assert accepted.status_code == 202, accepted.json()
    case = Case.objects.get()
    assert accepted.json() == {"case": case.pk, "delivery": "d-1"}
    assert case.requester == endpoint.run_as and case.idempotency_key == "hook:erp-orders:d-1"
    assert case.data["vendor"] == "ACME Ltd" and case.data["cost_center"] == "CC-100"
    assert Decimal(str(case.data["amount"])) == Decimal("1250.00")

    now = int(time.time())
    tampered = post(
        body.replace(b"1250.00", b"9250.00"),
        delivery="d-2",
        signature=sign(SECRET, "d-2", now, body),
        timestamp=now,
    )
    wrong_secret = post(body, delivery="d-3", secret="whsec_" + "x" * 40)
    stale = post(body, delivery="d-4", timestamp=now - 400)
    future = post(body, delivery="d-5", timestamp=now + 400)
    replay = post(body, delivery="d-1")

    assert [r.status_code for r in (tampered, wrong_secret, stale, future, replay)] == [401, 401, 401, 401, 409]
    assert stale.json() == {"detail": inbound.MSG_TIMESTAMP_STALE}
    assert future.json() == {"detail": inbound.MSG_TIMESTAMP_FUTURE}
    assert Case.objects.count() == 1
    log = list(InboundDelivery.objects.order_by("pk").values_list("delivery_id", "accepted", "reason", "case_id"))
    assert log == [
        ("d-1", True, inbound.MSG_ACCEPTED.format(case=case.pk), case.pk),
        ("d-2", False, inbound.MSG_SIGNATURE_INVALID, None),
        ("d-3", False, inbound.MSG_SIGNATURE_INVALID, None),
        ("d-4", False, inbound.MSG_TIMESTAMP_STALE, None),
        ("d-5", False, inbound.MSG_TIMESTAMP_FUTURE, None),
        ("d-1", False, inbound.MSG_REPLAY, None),
    ]
    assert all(row.endpoint_id == endpoint.pk and row.remote_addr for row in InboundDelivery.objects.all())


def test_a_captured_call_replayed_with_another_delivery_id_starts_nothing(endpoint, post, caplog):
    """The delivery id is signed, and a signature accepted once is never accepted again: an
    attacker who captured a call cannot make it new by changing X-WMS-Delivery."""
    body, now = _payload(), int(time.time())
    captured = sign(SECRET, "d-1", now, body)
    assert post(body, delivery="d-1", timestamp=now, signature=captured).status_code == 202

    with caplog.at_level(logging.WARNING, logger="apps.integrations.inbound"):
        replay = post(body, delivery="d-2", timestamp=now, signature=captured)

    assert replay.status_code == 409 and replay.json() == {"detail": inbound.MSG_REPLAY_SIGNATURE}
    assert Case.objects.count() == 1
    refused = InboundDelivery.objects.get(delivery_id="d-2")
    assert not refused.accepted and refused.reason == inbound.MSG_REPLAY_SIGNATURE and refused.case_id is None
    assert any("d-2" in r.getMessage() and inbound.MSG_REPLAY_SIGNATURE in r.getMessage() for r in caplog.records)


def test_another_delivery_id_under_a_signature_made_for_one_does_not_match(endpoint, post):
    body, now = _payload(), int(time.time())
    answer = post(body, delivery="d-2", timestamp=now, signature=sign(SECRET, "d-1", now, body))
    assert answer.status_code == 401 and answer.json() == {"detail": inbound.MSG_SIGNATURE_INVALID}
    assert not Case.objects.exists()


def test_a_call_signed_without_its_delivery_id_is_refused_saying_why(endpoint, post):
    """The first scheme signed "{timestamp}.{body}"; a sender still using it is told what changed."""
    body, now = _payload(), int(time.time())
    answer = post(body, delivery="d-1", timestamp=now, signature=sign_unbound(SECRET, now, body))
    assert answer.status_code == 401 and answer.json() == {"detail": inbound.MSG_SIGNATURE_UNBOUND}
    assert not Case.objects.exists()
    row = InboundDelivery.objects.get()
    assert not row.accepted and row.reason == inbound.MSG_SIGNATURE_UNBOUND


def test_a_deeply_nested_body_is_400_and_logged(endpoint, post):
    """A thousand nested arrays made the parser raise RecursionError: a 500 and no log row."""
    body = b'{"order": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    answer = post(body, delivery="d-deep")
    assert answer.status_code == 400 and answer.json() == {"detail": inbound.MSG_JSON_TOO_DEEP}
    assert not Case.objects.exists()
    row = InboundDelivery.objects.get()
    assert not row.accepted and row.delivery_id == "d-deep" and row.reason == inbound.MSG_JSON_TOO_DEEP


def test_a_refused_delivery_id_can_still_be_accepted_later(endpoint, post):
    assert post(_payload(), delivery="d-9", secret="whsec_" + "x" * 40).status_code == 401
    assert post(_payload(), delivery="d-9").status_code == 202
    assert Case.objects.count() == 1


def test_unknown_endpoint_is_404_and_logged(endpoint, post):
    answer = post(_payload(), slug="nobody-here")
    assert answer.status_code == 404 and answer.json() == {"detail": inbound.MSG_UNKNOWN_ENDPOINT}
    row = InboundDelivery.objects.get()
    assert row.endpoint is None and not row.accepted and row.reason == inbound.MSG_UNKNOWN_ENDPOINT


def test_inactive_endpoint_is_404(endpoint, post):
    endpoint.is_active = False
    endpoint.save()
    assert post(_payload()).status_code == 404
    assert InboundDelivery.objects.get().reason == inbound.MSG_INACTIVE_ENDPOINT


def test_missing_signature_and_malformed_json(endpoint, client, post):
    missing = client.post("/api/v1/hooks/erp-orders/", data=_payload(), content_type="application/json")
    assert missing.status_code == 401
    malformed = post(b"{not json", delivery="d-7")
    assert malformed.status_code == 400 and malformed.json() == {"detail": inbound.MSG_JSON_INVALID}
    assert not Case.objects.exists()
    assert list(InboundDelivery.objects.order_by("pk").values_list("reason", flat=True)) == [
        inbound.MSG_SIGNATURE_MISSING,
        inbound.MSG_JSON_INVALID,
    ]


def test_invalid_mapped_data_is_400_naming_the_field(endpoint, post):
    answer = post(json.dumps({"order": {"total": "-5", "cc": "CC-1"}}).encode(), delivery="d-8")
    assert answer.status_code == 400
    assert {"amount", "vendor"} <= set(answer.json()["errors"])
    assert not Case.objects.exists()
    row = InboundDelivery.objects.get()
    assert not row.accepted and row.delivery_id == "d-8" and row.reason == answer.json()["detail"]


def test_endpoint_create_names_every_bad_field(demo):
    inactive = get_user_model().objects.create_user("gone", is_active=False)
    with pytest.raises(ValidationFailed) as refusal:
        endpoints.endpoint_create(
            actor=demo["admin"],
            slug="Bad Slug",
            name="",
            workflow="no-such-workflow",
            run_as=inactive,
            field_map={"amount": ""},
            secret="short",
        )
    assert set(refusal.value.field_errors) == {"slug", "name", "workflow", "run_as", "field_map", "secret"}


def test_only_integrators_and_admins_create_endpoints(demo):
    with pytest.raises(NotAllowed):
        endpoints.endpoint_create(
            actor=demo["oscar"],
            slug="x",
            name="x",
            workflow="purchase-approval",
            run_as=demo["alice"],
            field_map={"amount": "a"},
        )


def test_generated_secret(endpoint, demo):
    created = endpoints.endpoint_create(
        actor=demo["admin"],
        slug="crm",
        name="CRM",
        workflow="purchase-approval",
        run_as=demo["alice"],
        field_map={"amount": "a"},
    )
    assert created.secret.startswith("whsec_") and len(created.secret) >= 6 + 43


def test_an_unexpected_failure_still_leaves_its_log_row(endpoint, post, monkeypatch):
    def broken(field_map, payload):
        raise RuntimeError("a bug")

    monkeypatch.setattr(inbound, "_map_fields", broken)
    with pytest.raises(RuntimeError):
        post(_payload(), delivery="d-bug")
    row = InboundDelivery.objects.get()
    assert not row.accepted and row.delivery_id == "d-bug" and row.reason == inbound.MSG_INTERNAL
