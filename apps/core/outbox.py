"""The outbox: how the after-commit effects of a change (e-mails, webhook deliveries) leave it.

One unit of work, one queue message. Every state-changing service runs as a unit of work (the
outermost `apps.audit.services.audit_batch` opens one); what its effects must do after commit is
collected with `outbox_add(kind, items, task=...)` and leaves, when the unit ends, as ONE django-q2
task (`outbox_dispatch`) that calls each kind's task with its items, e.g.
``{"notify.deliver": ["apps.notify.tasks.deliver", 20, [31, 32]]}``.

How the message leaves depends on the broker:

- ORM broker (one machine): enqueued at the end of the unit, INSIDE the transaction. The OrmQ row
  commits or rolls back with the change (a transactional outbox for free), and the request needs
  no second database connection. NOTE: django-q2's ORM broker calls `close_old_connections()`
  when it enqueues in autocommit mode, i.e. after commit, which with CONN_MAX_AGE 0 closed the
  request's connection and made the next statement open a new one (twice per case).
- Redis broker, or q2's sync mode (tests): on commit (`transaction.on_commit`), never before.
  A message lost there is recovered by the rows' own `next_attempt_at` and the retry sweeps.

Outside a unit of work (a plain `transaction.atomic()` caller) each `outbox_add` leaves on commit
through its kind's own enqueue function, as before. Items added inside a savepoint that is later rolled back are dropped,
as Django drops that savepoint's on_commit callbacks. The retry sweep (`outbox_lease_due`) is
shared by every row-backed outbox (notifications, webhook deliveries).
"""

import logging
import threading
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.conf import Conf
from django_q.tasks import async_task

logger = logging.getLogger(__name__)

SWEEP_LEASE = timedelta(minutes=5)
SWEEP_BATCH = 500
DISPATCH_TASK = "apps.core.outbox.outbox_dispatch"

_local = threading.local()


# --- one message per unit of work --------------------------------------------------------------


@contextmanager
def unit_of_work():
    """Collect the outbox items of the block into one message, sent when the block ends.

    Use inside `transaction.atomic()` (audit_batch does); nested units join the outermost one.
    Nothing is sent when the block raises.
    """
    if getattr(_local, "unit", None) is not None:
        yield
        return
    _local.unit = []
    # NOTE: a unit opened outside any transaction (atomic blocks inside it) ends after their
    # commit: its message cannot be written with the change, so nothing may count on that.
    _local.unit_in_transaction = connection.in_atomic_block
    try:
        yield
        items, _local.unit = _local.unit, None
        kept = [item for item, marker in items if _alive(marker)]
        message = _message(kept)
        if message and _worth_sending(message, {item[0]: item[4] for item in kept}):
            _send(message)
    finally:
        _local.unit = None


def outbox_in_transaction() -> bool:
    """True when the current unit's message will be written in the transaction of the change
    (ORM broker, not sync): then a message item is as durable as a row, and callers may put work
    in it that would otherwise need outbox rows (see apps.integrations.services.event_publish)."""
    unit_open = getattr(_local, "unit", None) is not None
    return unit_open and _local.unit_in_transaction and _enqueues_in_transaction()


def outbox_add(
    kind: str,
    items: list,
    *,
    task: str,
    chunk: int,
    enqueue: Callable[[list], None],
    needed: Callable[[list], bool] | None = None,
) -> None:
    """After commit, call the q2 task `task` (a dotted path) with `items`, at most `chunk` at a
    time. Inside a unit of work the items join its one message; outside one, `enqueue(items)`
    (the kind's own queueing) runs on commit, as it always did.

    `needed(items)`, for work that may turn out to be nothing (events nobody listens to): when a
    unit's message would carry only such kinds, it is sent only if one of them says it is needed,
    so a unit with nothing to do costs a check instead of a queue message and a worker run."""
    if not items:
        return
    unit = getattr(_local, "unit", None)
    if unit is None:
        enqueue_after_commit(enqueue, list(items))
        return
    marker = None
    if connection.in_atomic_block:
        marker = _marker()
        transaction.on_commit(marker)  # Django drops it if the savepoint around this call rolls back
    unit.append(((kind, task, chunk, list(items), needed), marker))


def outbox_dispatch(message: dict) -> None:
    """The q2 task behind every message: run each kind's task on its first chunk, queue the rest.

    A failing kind does not stop the others; the first error is raised at the end, so q2 records
    the failure (the rows' retry sweeps take over what was not done)."""
    failure = None
    for kind, (task, chunk, items) in message.items():
        for start in range(chunk, len(items), chunk):
            async_task(DISPATCH_TASK, {kind: [task, chunk, items[start : start + chunk]]})
        try:
            import_string(task)(items[:chunk])
        except Exception as error:  # reported below, after the other kinds ran
            logger.exception("outbox %s: %s failed", kind, task)
            failure = failure or error
    if failure is not None:
        raise failure


def _marker() -> Callable[[], None]:
    """A new no-op on_commit callback: still registered at the end of the unit means the
    savepoint it was added in was not rolled back."""

    def outbox_item_kept() -> None:
        return None

    return outbox_item_kept


def _alive(marker: Callable | None) -> bool:
    if marker is None:  # added in autocommit mode: nothing to roll back
        return True
    return any(callback is marker for _sids, callback, _robust in connection.run_on_commit)


def _message(items) -> dict:
    message: dict[str, list] = {}
    for kind, task, chunk, values, _needed in items:
        message.setdefault(kind, [task, chunk, []])[2].extend(values)
    return message


def _worth_sending(message: dict, checks: dict) -> bool:
    if any(checks.get(kind) is None for kind in message):
        return True
    return any(checks[kind](items) for kind, (_task, _chunk, items) in message.items())


def _enqueues_in_transaction() -> bool:
    return not Conf.SYNC and Conf.ORM == DEFAULT_DB_ALIAS and not Conf.BROKER_CLASS and connection.in_atomic_block


def _send(message: dict) -> None:
    if _enqueues_in_transaction():
        async_task(DISPATCH_TASK, message)
    else:
        enqueue_after_commit(_enqueue_message, message)


def _enqueue_message(message: dict) -> None:
    async_task(DISPATCH_TASK, message)


# --- after commit, and the retry sweep ------------------------------------------------------------


def enqueue_after_commit(enqueue: Callable, ids) -> None:
    """Call `enqueue(ids)` once the transaction commits; a failure there is logged, never raised.

    NOTE: a named function, not a functools.partial: when the callback fails (the broker or the
    database is away), Django's robust on_commit logs `func.__qualname__`, which a partial lacks,
    so an AttributeError escaped from the commit of a transaction that did commit. A lost queue
    message is harmless (the outbox sweep queues the row again after its grace period); that error
    is not."""

    def enqueue_committed() -> None:
        enqueue(ids)

    transaction.on_commit(enqueue_committed, robust=True)


def outbox_lease_due(*, queryset, at: datetime, enqueue: Callable[[list[int]], None]) -> int:
    """Take the rows of `queryset` whose `next_attempt_at` has come, push their next attempt a
    lease further (so the next sweep does not queue them again), and queue them after commit.

    Rows locked by a concurrent sweep are skipped, so sweeps may run at the same time.
    Returns how many rows were queued.
    """
    with transaction.atomic():
        due = list(
            queryset.select_for_update(skip_locked=True)
            .filter(next_attempt_at__lte=at)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        if due:
            queryset.model.objects.filter(pk__in=due).update(next_attempt_at=max(at, timezone.now()) + SWEEP_LEASE)
            enqueue_after_commit(enqueue, due)
    return len(due)
