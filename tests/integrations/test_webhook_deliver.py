"""Delivering webhooks to a real local HTTP server: signature, headers, retries, dead letters."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.test import override_settings
from werkzeug import Response

from apps.integrations.models import WebhookDelivery
from apps.integrations.services import webhook_deliver, webhook_redeliver


def verify(secret: str, request) -> bool:
    """What the README tells a receiver to do: HMAC-SHA256 of "{delivery}.{timestamp}.{raw body}"."""
    timestamp, delivery = request.headers["X-WMS-Timestamp"], request.headers["X-WMS-Delivery"]
    message = f"{delivery}.{timestamp}.".encode() + request.get_data()
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(request.headers["X-WMS-Signature"], f"sha256={expected}") and (
        abs(time.time() - int(timestamp)) < 300
    )


def test_delivery_is_signed_and_carries_its_headers(httpserver, subscribe, publish):
    subscription = subscribe()
    httpserver.expect_request("/hook", method="POST").respond_with_data("thanks")
    (delivery,) = publish(data={"amount": "5000"})

    (request, _), *_ = httpserver.log
    assert verify(subscription.secret, request)
    assert not verify(subscription.secret + "x", request)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-WMS-Event"] == "task.completed"
    assert request.headers["X-WMS-Delivery"] == str(delivery.delivery_id)
    body = json.loads(request.get_data())
    assert body == {
        "event": "task.completed",
        "delivery_id": str(delivery.delivery_id),
        "occurred_at": body["occurred_at"],
        "case": {
            "id": 41,
            "workflow": "purchase-approval",
            "version": 3,
            "status": "open",
            "outcome": None,
            "state": "approval",
        },
        "task": {"id": 7, "name": "Finance approval", "kind": "approval", "decision": "approve"},
        "data": {"amount": "5000"},
    }
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 1 and delivery.last_status_code == 200
    assert delivery.last_response == "thanks" and delivery.delivered_at and delivery.next_attempt_at is None
    assert len(httpserver.log) == 1


def test_server_error_is_retried_with_backoff_then_delivered(httpserver, subscribe, publish, sweep):
    subscribe()
    httpserver.expect_ordered_request("/hook").respond_with_data("down", status=500)
    httpserver.expect_ordered_request("/hook").respond_with_data("ok", status=204)
    (delivery,) = publish()
    delivery.refresh_from_db()
    assert delivery.status == "retrying" and delivery.attempts == 1 and delivery.last_status_code == 500
    assert delivery.last_response == "down" and delivery.last_error == "HTTP 500"
    wait = delivery.next_attempt_at - delivery.created
    assert timedelta(seconds=47) < wait < timedelta(seconds=73)  # 1 minute ± 20 %

    assert sweep(at=delivery.next_attempt_at - timedelta(seconds=1)) == 0
    assert sweep(at=delivery.next_attempt_at + timedelta(seconds=1)) == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 2 and delivery.last_status_code == 204
    first, second = (request for request, _ in httpserver.log)
    assert first.headers["X-WMS-Delivery"] == second.headers["X-WMS-Delivery"] == str(delivery.delivery_id)
    assert first.get_data() == second.get_data()


def test_too_many_requests_honours_retry_after(httpserver, subscribe, publish):
    subscribe()
    httpserver.expect_request("/hook").respond_with_data("slow down", status=429, headers={"Retry-After": "1800"})
    (delivery,) = publish()
    delivery.refresh_from_db()
    assert delivery.status == "retrying" and delivery.last_status_code == 429
    wait = delivery.next_attempt_at - delivery.created
    assert timedelta(minutes=29) < wait < timedelta(minutes=31)


@override_settings(WEBHOOK_TIMEOUT_SECONDS=0.2)
def test_a_receiver_too_slow_to_answer_is_retried(httpserver, subscribe, publish):
    subscribe()

    def slow(request):
        time.sleep(0.6)
        return Response("late")

    httpserver.expect_request("/hook").respond_with_handler(slow)
    (delivery,) = publish()
    delivery.refresh_from_db()
    assert delivery.status == "retrying" and delivery.last_status_code is None
    assert "timed out" in delivery.last_error and delivery.next_attempt_at


@override_settings(WEBHOOK_MAX_ATTEMPTS=3)
def test_exhausted_delivery_is_dead_and_redelivered_with_the_same_id(
    httpserver, subscribe, publish, sweep, users, django_capture_on_commit_callbacks
):
    subscribe()
    httpserver.expect_request("/hook").respond_with_data("down", status=503)
    (delivery,) = publish()
    for _ in range(2):
        delivery.refresh_from_db()
        sweep(at=delivery.next_attempt_at + timedelta(seconds=1))
    delivery.refresh_from_db()
    assert delivery.status == "dead" and delivery.attempts == 3 and delivery.next_attempt_at is None
    assert "Gave up after 3 attempts" in delivery.last_error

    httpserver.clear()
    httpserver.expect_request("/hook").respond_with_data("ok")
    with django_capture_on_commit_callbacks(execute=True):
        webhook_redeliver(delivery_id=delivery.pk, actor=users["oscar"])
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 1
    ((request, _),) = httpserver.log
    assert request.headers["X-WMS-Delivery"] == str(delivery.delivery_id)


def test_a_refusal_is_dead_at_once(httpserver, subscribe, publish):
    subscribe()
    httpserver.expect_request("/hook").respond_with_data("who are you", status=404)
    (delivery,) = publish()
    delivery.refresh_from_db()
    assert delivery.status == "dead" and delivery.attempts == 1 and delivery.next_attempt_at is None
    assert delivery.last_status_code == 404 and "refused" in delivery.last_error


def test_a_redirect_is_not_followed(httpserver, subscribe, publish):
    subscribe()
    httpserver.expect_request("/hook").respond_with_data("", status=302, headers={"Location": "http://example.com/"})
    (delivery,) = publish()
    delivery.refresh_from_db()
    assert delivery.status == "dead" and delivery.last_status_code == 302 and len(httpserver.log) == 1


def test_connection_refused_is_retried(subscribe, publish):
    subscribe(url="http://127.0.0.1:9/hook")
    (delivery,) = publish()
    delivery.refresh_from_db()
    assert delivery.status == "retrying" and delivery.last_status_code is None and delivery.last_error


def test_long_answers_are_cut(httpserver, subscribe, publish):
    subscribe()
    httpserver.expect_request("/hook").respond_with_data("x" * 5000, status=500)
    (delivery,) = publish()
    delivery.refresh_from_db()
    assert len(delivery.last_response) == 2000


def test_delivered_rows_are_not_sent_again(httpserver, subscribe, publish):
    subscribe()
    httpserver.expect_request("/hook").respond_with_data("ok")
    (delivery,) = publish()
    assert webhook_deliver(delivery_id=delivery.pk) is None
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("status", [408, 502])
def test_other_retryable_answers(httpserver, subscribe, publish, status):
    subscribe()
    httpserver.expect_request("/hook").respond_with_data("", status=status)
    (delivery,) = publish()
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == "retrying"
