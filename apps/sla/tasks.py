"""django-q2 entry points: thin, they call the service."""

from .sweeper import sla_sweep


def sweep() -> int:
    return len(sla_sweep())
