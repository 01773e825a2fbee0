"""django-q2 entry points: load by id, call the service."""

from .services import DELIVER_CHUNK, _enqueue_delivery, webhook_deliver, webhook_fan_out, webhook_retry_due
from .steps import step_attempt as _step_attempt
from .steps import step_retry_due


def deliver(ids: list[int]) -> None:
    for delivery_id in ids:
        webhook_deliver(delivery_id=delivery_id)


def retry_due() -> int:
    return webhook_retry_due()


def publish(events: list[dict]) -> None:
    """Events published in one unit of work (apps.core.outbox): record their deliveries, send the
    first few here and queue the rest."""
    ids = webhook_fan_out(events=events)
    _enqueue_delivery(ids[DELIVER_CHUNK:])
    deliver(ids[:DELIVER_CHUNK])


def step_attempt(ids: list[int]) -> None:
    for run_id in ids:
        _step_attempt(run_id=run_id)


def steps_due() -> int:
    return step_retry_due()
