"""The django-q2 queue as operations see it: how many messages wait, and since when.

Asked of the broker itself (`get_broker()`), so it holds for the ORM broker (OrmQ rows, one query
each) and for Redis (the list's length and its head), with any number of worker processes.
"""

from datetime import datetime

from django.db.models import Min
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.brokers.orm import ORM
from django_q.models import OrmQ
from django_q.signing import SignedPackage


def queue_ping() -> bool:
    """Whether the broker answers (the ORM broker always does when the database does)."""
    return bool(get_broker().ping())


def queue_depth() -> int:
    """Messages waiting for a worker (not those a worker holds right now)."""
    return int(get_broker().queue_size() or 0)


def queue_oldest_enqueued() -> datetime | None:
    """When the oldest waiting message was queued, or None when none waits."""
    broker = get_broker()
    if isinstance(broker, ORM):
        # NOTE: an ORM message's `lock` is its enqueue time until a worker takes it (then it moves
        # into the future, and back into the past only if that worker died: due again).
        now = timezone.now()
        return OrmQ.objects.filter(key=broker.list_key, lock__lte=now).aggregate(oldest=Min("lock"))["oldest"]
    head = broker.connection.lindex(broker.list_key, 0) if hasattr(broker.connection, "lindex") else None
    if head is None:
        return None
    try:
        return SignedPackage.loads(head).get("started")  # q2 stamps `started` when it enqueues
    except Exception:
        return None
