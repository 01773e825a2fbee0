"""django-q2 entry points: load by id, call the service."""

from .services import notification_deliver, notification_retry_due


def deliver(ids: list[int]) -> None:
    for notification_id in ids:
        notification_deliver(notification_id=notification_id)


def retry_due() -> int:
    return notification_retry_due()
