"""The worker's heartbeat and the daily audit chain verification, declared in code. Safe to run
any number of times."""

from datetime import datetime, time, timedelta

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from apps.core.schedules import after_migrate, schedule_every_minute, schedule_periodic

HEARTBEAT_SCHEDULE = "worker-heartbeat"
HEARTBEAT_FUNC = "apps.ops.tasks.heartbeat"
AUDIT_CHAIN_SCHEDULE = "audit-chain-verify"
AUDIT_CHAIN_FUNC = "apps.ops.tasks.audit_chain_verify"


def _tonight():
    """The first run: 02:30 tonight (installation time), after the (UTC) day's heads are final."""
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=1), time(2, 30)))


def ensure_schedules(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Declare the worker's heartbeat (every minute) and the chain verification (daily), forever."""
    from django_q.models import Schedule

    schedule_every_minute(name=HEARTBEAT_SCHEDULE, func=HEARTBEAT_FUNC, using=using)
    schedule_periodic(
        name=AUDIT_CHAIN_SCHEDULE,
        func=AUDIT_CHAIN_FUNC,
        schedule_type=Schedule.DAILY,
        next_run=_tonight(),
        using=using,
    )


ensure_schedules_after_migrate = after_migrate(ensure_schedules)
