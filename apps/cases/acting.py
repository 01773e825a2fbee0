"""Who is acting in the current service call, for audit rows written by engine callbacks."""

from contextlib import contextmanager
from contextvars import ContextVar

_actor: ContextVar = ContextVar("wms_actor", default=None)


@contextmanager
def acting(actor):
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor():
    return _actor.get()
