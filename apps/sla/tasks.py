"""django-q2 entry points: thin, they call the service."""

from apps.core.heartbeats import SLA_SWEEP, heartbeat_beat

from .sweeper import sla_sweep


def sweep() -> int:
    fired = len(sla_sweep())
    heartbeat_beat(name=SLA_SWEEP)  # a sweep that raised leaves the beat old: /health/ says so
    return fired
