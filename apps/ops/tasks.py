"""django-q2 entry points of operations: thin, they call the service."""

from apps.core.heartbeats import WORKER, heartbeat_beat

from .audit_chain import audit_chain_check


def heartbeat() -> None:
    """Run by a worker every minute: a recent beat means the scheduler and a worker both live.

    NOTE: not django-q2's cluster stats (`Stat.get_all()`): with the ORM broker they live in the
    Django cache, which is per process unless CACHE_URL names Redis, so a web process would never
    see a worker. A row is seen by every process whatever the broker and the cache.
    """
    heartbeat_beat(name=WORKER)


def audit_chain_verify() -> str:
    """Run daily: verify the audit trail's hash chain (and tell people when it is broken)."""
    return audit_chain_check().message
