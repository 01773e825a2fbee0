"""What /health/ checks, as django-health-check checks (`HealthCheck.run()` raises
`ServiceUnavailable` with a short reason). The view (views.health) runs them and renders our own
JSON contract; the reasons name the problem and never a host, a password or a query.
"""

import dataclasses
import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.exceptions import HealthCheckException, ServiceUnavailable

from apps.core.heartbeats import SLA_SWEEP, STEP_SWEEP, WORKER, heartbeat_times

logger = logging.getLogger(__name__)

MSG_DATABASE = "the database does not answer"
MSG_BROKER = "the task queue's broker does not answer"
MSG_NEVER = "no {what} has run yet"
MSG_STALE = "the last {what} ran {seconds} s ago (limit {limit} s)"
MSG_UNKNOWN = "the check itself failed"


def _beat_age_check(name: str, what: str, limit: timedelta, beats: dict) -> None:
    at = beats.get(name)
    if at is None:
        raise ServiceUnavailable(MSG_NEVER.format(what=what))
    age = timezone.now() - at
    if age > limit:
        raise ServiceUnavailable(
            MSG_STALE.format(what=what, seconds=int(age.total_seconds()), limit=int(limit.total_seconds()))
        )


@dataclasses.dataclass
class DatabaseCheck(Database):
    """django-health-check's SELECT 1, with a reason that names no server."""

    def run(self):
        try:
            super().run()
        except HealthCheckException as error:
            raise ServiceUnavailable(MSG_DATABASE) from error


@dataclasses.dataclass
class BrokerCheck(HealthCheck):
    def run(self):
        from .queue import queue_ping

        try:
            alive = queue_ping()
        except Exception as error:
            raise ServiceUnavailable(MSG_BROKER) from error
        if not alive:
            raise ServiceUnavailable(MSG_BROKER)


@dataclasses.dataclass
class HeartbeatCheck(HealthCheck):
    """A job's last beat is recent. `beats` is read once for all heartbeat checks."""

    name: str = WORKER
    what: str = "worker heartbeat"
    limit: timedelta = timedelta(minutes=2)
    beats: dict = dataclasses.field(default_factory=dict, repr=False)

    def run(self):
        _beat_age_check(self.name, self.what, self.limit, self.beats)


def health_checks() -> dict[str, HealthCheck]:
    """The checks of /health/, by the name the JSON reports."""
    beats = heartbeat_times()
    worker_limit = timedelta(seconds=settings.HEALTH_WORKER_MAX_AGE_SECONDS)
    sweep_limit = timedelta(seconds=settings.HEALTH_SWEEP_MAX_AGE_SECONDS)
    return {
        "database": DatabaseCheck(),
        "broker": BrokerCheck(),
        "worker": HeartbeatCheck(name=WORKER, what="worker heartbeat", limit=worker_limit, beats=beats),
        "sla_sweep": HeartbeatCheck(name=SLA_SWEEP, what="SLA sweep", limit=sweep_limit, beats=beats),
        "step_sweep": HeartbeatCheck(name=STEP_SWEEP, what="step retry sweep", limit=sweep_limit, beats=beats),
    }


def health_run() -> dict[str, str | None]:
    """Each check's failure reason, None when it is fine. Run in this thread, one after another:
    django-health-check's own view runs them in threads, each with its own database connection."""
    results: dict[str, str | None] = {}
    try:
        checks = health_checks()
    except Exception:
        logger.exception("Reading the heartbeats failed")
        checks = {"database": DatabaseCheck(), "broker": BrokerCheck()}
        beats_failed = True
    else:
        beats_failed = False
    for name, check in checks.items():
        try:
            check.run()
        except HealthCheckException as error:
            results[name] = error.message
        except Exception:
            logger.exception("Health check %s crashed", name)
            results[name] = MSG_UNKNOWN
        else:
            results[name] = None
    if beats_failed:
        for name in ("worker", "sla_sweep", "step_sweep"):
            results[name] = MSG_UNKNOWN
    return results
