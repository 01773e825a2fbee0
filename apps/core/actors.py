"""Who did it: a user, or the system itself (sweeps, automated steps)."""

from contextlib import contextmanager
from contextvars import ContextVar

SYSTEM = "SYSTEM"

_change: ContextVar = ContextVar("wms_change", default=None)


def actor_label(user) -> str:
    """The name shown in history for an actor: a username, or SYSTEM."""
    if user is None:
        return SYSTEM
    return user.get_username()


@contextmanager
def acting_as(actor, *, reason: str = ""):
    """Who makes the changes inside the block, and why, for the audit rows that signal receivers
    write (role memberships: apps.audit.memberships), which no caller can hand an actor to."""
    token = _change.set((actor, (reason or "").strip()))
    try:
        yield
    finally:
        _change.reset(token)


def current_change() -> tuple | None:
    """(actor, reason) of the innermost `acting_as` block, or None outside any."""
    return _change.get()
