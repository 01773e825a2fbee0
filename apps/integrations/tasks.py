"""django-q2 entry points: load by id, call the service."""

from collections.abc import Callable

from .services import DELIVER_CHUNK, _enqueue_delivery, webhook_deliver, webhook_fan_out, webhook_retry_due


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


# Tasks that moved to another app answer at their old path too: messages queued and schedules
# saved before the move still name it (django-q2 locates a task by its dotted path). The app
# that took them registers them (apps.automation: step_attempt, steps_due).
_moved: dict[str, Callable] = {}


def task_moved(*, name: str, func: Callable) -> None:
    """Let `apps.integrations.tasks.<name>` still run `func`."""
    _moved[name] = func


def __getattr__(name: str) -> Callable:
    try:
        return _moved[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
