"""Publishing events: one row per listening subscription, queued only after commit."""

import pytest
from django.db import transaction

from apps.integrations.models import WebhookDelivery
from apps.integrations.services import event_publish


def test_nobody_subscribed_costs_one_query_and_writes_nothing(users, case, django_assert_num_queries):
    with transaction.atomic(), django_assert_num_queries(1):
        assert event_publish(name="case.started", case=case) == []
    assert not WebhookDelivery.objects.exists()


def test_only_active_subscriptions_to_the_event_get_a_row(
    httpserver, subscribe, case, django_assert_num_queries, django_capture_on_commit_callbacks
):
    erp = subscribe(events=["case.started", "case.closed"], name="ERP")
    subscribe(events=["task.created"], name="Chat")
    subscribe(events=["case.started"], name="Old", is_active=False)
    httpserver.expect_request("/hook").respond_with_data("ok")
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        with django_assert_num_queries(2):  # the subscriptions, one INSERT
            (delivery,) = event_publish(name="case.started", case=case, data={"note": "hi"})
    assert delivery.subscription_id == erp.pk and delivery.status == "pending" and delivery.payload["task"] is None
    assert len(callbacks) == 1 and not httpserver.log  # nothing sent before commit
    callbacks[0]()
    assert WebhookDelivery.objects.get().status == "delivered"
    assert httpserver.log[0][0].headers["X-WMS-Event"] == "case.started"


def test_nothing_is_sent_when_the_transaction_rolls_back(
    httpserver, subscribe, case, django_capture_on_commit_callbacks
):
    subscribe(events=["case.closed"])
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        with transaction.atomic():
            event_publish(name="case.closed", case=case)
            raise RuntimeError("the decision failed")
    assert callbacks == [] and not WebhookDelivery.objects.exists() and not httpserver.log


def test_unknown_events_are_a_programming_error(users, case):
    with transaction.atomic(), pytest.raises(ValueError, match="Unknown webhook event"):
        event_publish(name="case.exploded", case=case)


def test_payload_from_a_real_case(demo, start_purchase, django_capture_on_commit_callbacks):
    from apps.integrations.services import subscription_create

    subscription_create(actor=demo["admin"], name="ERP", url="https://erp.example.com/h", events=["case.started"])
    real = start_purchase()
    with transaction.atomic():
        (delivery,) = event_publish(name="case.started", case=real)
    assert delivery.payload["case"] == {
        "id": real.pk,
        "workflow": "purchase-approval",
        "version": real.version_number,
        "status": "open",
        "outcome": None,
        "state": real.state,
    }
