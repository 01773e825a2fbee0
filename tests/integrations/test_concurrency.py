"""Two workers delivering the same webhook at the same moment send it once (PostgreSQL)."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from werkzeug import Response

from apps.integrations.models import WebhookDelivery
from apps.integrations.services import event_publish, subscription_create, webhook_deliver
from tests.concurrency import POSTGRES_ONLY, run_together

pytestmark = POSTGRES_ONLY


@pytest.fixture
def pending(monkeypatch, receiver, case):
    # Leave delivery to the racing workers: nothing is queued after commit.
    monkeypatch.setattr("apps.integrations.services._enqueue_delivery", lambda ids: None)
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", None)
    subscription_create(actor=admin, name="ERP", url=receiver, events=["case.started"])
    with transaction.atomic():
        (delivery,) = event_publish(name="case.started", case=case)
    return delivery


def test_concurrent_deliveries_send_once(pending, httpserver):
    def slow(request):
        time.sleep(0.3)  # hold the row lock while the others arrive
        return Response("ok")

    httpserver.expect_request("/hook").respond_with_handler(slow)
    results = run_together(*[lambda: webhook_deliver(delivery_id=pending.pk)] * 4)
    assert not any(isinstance(r, Exception) for r in results), results
    assert len(httpserver.log) == 1
    assert sum(r is not None for r in results) == 1
    delivery = WebhookDelivery.objects.get(pk=pending.pk)
    assert delivery.status == "delivered" and delivery.attempts == 1
