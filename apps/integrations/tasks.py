"""django-q2 entry points: load by id, call the service."""

from .services import webhook_deliver, webhook_retry_due


def deliver(ids: list[int]) -> None:
    for delivery_id in ids:
        webhook_deliver(delivery_id=delivery_id)


def retry_due() -> int:
    return webhook_retry_due()
