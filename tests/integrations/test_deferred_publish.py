"""With the ORM broker, events published in a unit of work ride in its one queue message and the
worker fans them out: the request reads no subscriptions, each receiver gets each event once."""

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.audit.services import audit_batch
from apps.core.outbox import outbox_dispatch
from apps.integrations.models import WebhookDelivery
from apps.integrations.services import event_publish
from apps.notify.services import notification_send


@pytest.fixture
def orm_broker(monkeypatch):
    """The ORM broker as in production (not q2's sync mode): record the messages enqueued."""
    sent = []
    monkeypatch.setattr("apps.core.outbox._enqueues_in_transaction", lambda: connection.in_atomic_block)
    monkeypatch.setattr("apps.core.outbox.async_task", lambda func, message: sent.append(message))
    return sent


def _publish_in_a_unit(case, task, name="task.completed", data=None):
    with transaction.atomic(), audit_batch():
        return event_publish(name=name, case=case, task=task, data=data)


def _unit_with_a_notice(user, case, task):
    """A unit that mails someone, so it has a message anyway; the events ride along."""
    with transaction.atomic(), audit_batch(), CaptureQueriesContext(connection) as queries:
        notification_send(users=[user], kind="notice", subject="Hello", dedupe_key="k")
        assert event_publish(name="case.started", case=case) == []
        assert event_publish(name="task.created", case=case, task=task) == []
    return [q["sql"] for q in queries.captured_queries]


def test_no_subscription_query_when_the_unit_has_a_message_anyway(users, case, task, orm_broker):
    statements = _unit_with_a_notice(users["bob"], case, task)
    assert not [s for s in statements if "integrations_webhooksubscription" in s]
    (message,) = orm_broker
    assert [e["body"]["event"] for e in message["webhooks.publish"][2]] == ["case.started", "task.created"]
    assert list(message) == ["notify.deliver", "webhooks.publish"]


def test_events_alone_nobody_listening_cost_one_query_and_no_message(
    users, case, task, orm_broker, django_assert_num_queries
):
    with transaction.atomic():
        with django_assert_num_queries(1), audit_batch():  # the check, once, when the unit ends
            event_publish(name="case.started", case=case)
            event_publish(name="task.created", case=case, task=task)
    assert orm_broker == []


def test_the_worker_records_nothing_when_nobody_listens(users, case, task, orm_broker, monkeypatch):
    monkeypatch.setattr("apps.notify.tasks.deliver", lambda ids: None)
    _unit_with_a_notice(users["bob"], case, task)
    outbox_dispatch(orm_broker[0])
    assert not WebhookDelivery.objects.exists()


def test_each_receiver_gets_the_event_once(httpserver, subscribe, case, task, orm_broker):
    subscribe(events=["task.completed"])
    subscribe(events=["case.closed"], name="Other")
    httpserver.expect_request("/hook", method="POST").respond_with_data("thanks")
    _publish_in_a_unit(case, task, data={"amount": "5000"})
    assert not WebhookDelivery.objects.exists(), "the fan-out is the worker's"
    outbox_dispatch(orm_broker[0])
    outbox_dispatch(orm_broker[0])  # q2 hands an unacknowledged message out again
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.status == "delivered" and delivery.attempts == 1 and delivery.event == "task.completed"
    (request, _), *others = httpserver.log
    assert others == []
    body = json.loads(request.get_data())
    assert body["delivery_id"] == str(delivery.delivery_id) == request.headers["X-WMS-Delivery"]
    assert body["task"]["name"] == "Finance approval" and body["data"] == {"amount": "5000"}


def test_the_payload_is_what_it_was_when_published(subscribe, case, task, orm_broker, monkeypatch):
    monkeypatch.setattr("apps.integrations.tasks.deliver", lambda ids: None)
    subscribe(events=["task.completed"])
    _publish_in_a_unit(case, task)
    published_at = orm_broker[0]["webhooks.publish"][2][0]["body"]["occurred_at"]
    case.state = "closed"  # the case moves on before the worker runs
    outbox_dispatch(orm_broker[0])
    delivery = WebhookDelivery.objects.get()
    assert delivery.payload["case"]["state"] == "approval" and delivery.payload["occurred_at"] == published_at
    assert delivery.status == "pending" and delivery.next_attempt_at, "the retry sweep still covers it"


def test_a_purchase_enqueues_one_message_per_service_call(start_purchase, demo, orm_broker):
    from apps.cases.services import task_complete
    from apps.integrations.services import subscription_create
    from tests.conftest import task_for

    events = ["case.started", "task.created", "task.completed", "case.closed"]
    subscription_create(actor=demo["admin"], name="ERP", url="https://erp.example.com/hooks", events=events)
    case = start_purchase(amount="5000")
    assert len(orm_broker) == 1
    task_complete(task_id=task_for(case, "Manager approval").pk, actor=demo["bob"], decision="approve")
    assert len(orm_broker) == 2
    task_complete(task_id=task_for(case, "Finance approval").pk, actor=demo["fiona"], decision="approve")
    assert len(orm_broker) == 3
    published = [e["body"]["event"] for message in orm_broker for e in message["webhooks.publish"][2]]
    assert published == [
        "case.started",
        "task.created",
        "task.created",
        "task.completed",
        "task.completed",
        "case.closed",
    ]
