"""The worker's heartbeat and the daily audit chain verification, declared in code. Safe to run
any number of times."""

from datetime import time

from django.db import DEFAULT_DB_ALIAS

from apps.core.schedules import after_migrate, schedule_daily, schedule_every_minute

HEARTBEAT_SCHEDULE = "worker-heartbeat"
HEARTBEAT_FUNC = "apps.ops.tasks.heartbeat"
AUDIT_CHAIN_SCHEDULE = "audit-chain-verify"
AUDIT_CHAIN_FUNC = "apps.ops.tasks.audit_chain_verify"

# 02:30 installation time: after the (UTC) day's chain heads are final.
AUDIT_CHAIN_AT = time(2, 30)


def ensure_schedules(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Declare the worker's heartbeat (every minute) and the chain verification (daily), forever."""
    schedule_every_minute(name=HEARTBEAT_SCHEDULE, func=HEARTBEAT_FUNC, using=using)
    schedule_daily(name=AUDIT_CHAIN_SCHEDULE, func=AUDIT_CHAIN_FUNC, at=AUDIT_CHAIN_AT, using=using)


ensure_schedules_after_migrate = after_migrate(ensure_schedules)
