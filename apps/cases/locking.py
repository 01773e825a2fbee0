"""The case lock: viewflow's row lock (SELECT ... FOR UPDATE on the case), made to cost one
statement per unit of work.

viewflow's `SelectForUpdateLock` runs `SELECT (1) ... FOR UPDATE` and every service then reads
the case again; viewflow's Start and Handle nodes take the lock once more inside ours. Here:

- the locking SELECT reads the case with its version (`FOR UPDATE OF` the case's own rows only,
  never the version's, which every case of that version shares), and `case_locked` takes that
  instance instead of reading the case a second time;
- the lock is re-entrant per thread: inside a held lock of the same case no second SELECT;
- a case inserted by the current transaction needs no lock at all (nobody else can see the row,
  let alone lock it): `holding()` marks it held while the start runs.

On SQLite the SELECT has no FOR UPDATE (SQLite locks the whole database for a writer).
"""

import random
import threading
import time
from contextlib import contextmanager

from django.db import DatabaseError, transaction
from viewflow.workflow.exceptions import FlowLockFailed

_state = threading.local()


def _held() -> dict:
    held = getattr(_state, "held", None)
    if held is None:
        held = _state.held = {}
    return held


def _fresh() -> dict:
    fresh = getattr(_state, "fresh", None)
    if fresh is None:
        fresh = _state.fresh = {}
    return fresh


def locked_case_take(case_id: int):
    """The case the lock just read for `case_id` (once; None if the lock did not read it)."""
    return _fresh().pop(case_id, None)


@contextmanager
def holding(case_id: int):
    """Treat `case_id` as locked by this thread while the block runs (a case this transaction
    just inserted: no other transaction can see it)."""
    held = _held()
    if case_id in held:
        yield
        return
    held[case_id] = True
    try:
        yield
    finally:
        held.pop(case_id, None)


class CaseLock:
    """Lock implementation for `Flow.lock_impl` (see the module docstring)."""

    def __init__(self, nowait: bool = False, attempts: int = 5):
        self.nowait = nowait
        self.attempts = attempts

    @contextmanager
    def __call__(self, flow_class, process_pk):
        held = _held()
        if process_pk in held:
            # NOTE: no savepoint: the outer hold has one, and whatever fails in here fails
            # the outer block too (nothing catches an error between the two).
            with transaction.atomic(savepoint=False):
                yield
            return
        with self._locking(flow_class, pk=process_pk) as case:
            if case is not None:
                _fresh()[process_pk] = case
            held[process_pk] = True
            try:
                yield
            finally:
                held.pop(process_pk, None)
                _fresh().pop(process_pk, None)

    @contextmanager
    def _locking(self, flow_class, **filters):
        """SELECT ... FOR UPDATE the case matching `filters` (with its version and requester)
        and stay in that transaction while the block runs; retried like viewflow's lock."""
        for attempt in range(self.attempts):
            with transaction.atomic():
                try:
                    case = self._select(flow_class, **filters)
                except DatabaseError:
                    if attempt == self.attempts - 1:
                        raise FlowLockFailed(f"Lock failed for {flow_class}") from None
                    time.sleep((((attempt + 1) * random.random()) + 2**attempt) / 2.5)
                    continue
                yield case
                return

    def _select(self, flow_class, **filters):
        model = flow_class.process_class
        queryset = model._default_manager.select_related("version", "requester").filter(**filters)
        # NOTE: "self" is the case's table, "process_ptr" viewflow's process table under it
        # (multi-table inheritance); the version and requester rows stay unlocked.
        return queryset.select_for_update(nowait=self.nowait, of=("self", "process_ptr")).first()

    @contextmanager
    def by_task(self, flow_class, task_id: int, nodes):
        """Lock the case one of whose `nodes` tasks is `task_id`, found and locked by one
        SELECT (a service acting on a task need not look its case up first). Yields the case,
        or None when there is no such task; inside, `flow_class.lock(case.pk)` costs nothing."""
        with self._locking(flow_class, task__pk=task_id, task__flow_task__in=list(nodes)) as case:
            if case is None:
                yield None
                return
            with holding(case.pk), flow_class.lock(case.pk):
                yield case
