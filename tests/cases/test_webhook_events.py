"""The engine publishes its events to webhook subscribers, in order, in the same transaction."""

from apps.cases.services import task_complete
from apps.integrations.models import WebhookDelivery
from apps.integrations.services import subscription_create
from tests.conftest import task_for


def test_a_purchase_publishes_started_created_completed_closed(start_purchase, users):
    subscription_create(
        actor=users["admin"],
        name="ERP",
        url="https://erp.example.com/hooks",
        events=["case.started", "task.created", "task.completed", "case.closed"],
    )
    case = start_purchase(amount="5000")
    task_complete(task_id=task_for(case, "Manager approval").pk, actor=users["bob"], decision="approve")
    task_complete(task_id=task_for(case, "Finance approval").pk, actor=users["fiona"], decision="approve")
    events = [(d.event, (d.payload["task"] or {}).get("name")) for d in WebhookDelivery.objects.order_by("pk")]
    assert events == [
        ("case.started", None),
        ("task.created", "Manager approval"),
        ("task.created", "Finance approval"),
        ("task.completed", "Manager approval"),
        ("task.completed", "Finance approval"),
        ("case.closed", None),
    ]
    closed = WebhookDelivery.objects.get(event="case.closed")
    assert closed.payload["case"]["outcome"] == "approved" and closed.payload["data"]["amount"] == "5000.00"


def test_withdrawal_publishes_case_closed(start_purchase, users):
    from apps.cases.services import case_withdraw

    subscription_create(actor=users["admin"], name="ERP", url="https://erp.example.com/hooks", events=["case.closed"])
    case = start_purchase()
    case_withdraw(case_id=case.pk, actor=users["alice"], reason="no longer needed")
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.payload["case"]["outcome"] == "withdrawn"
