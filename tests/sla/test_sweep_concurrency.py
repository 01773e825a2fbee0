"""Two sweepers at the same moment on PostgreSQL: every level fires once (SKIP LOCKED)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from apps.audit.models import AuditEvent
from apps.sla.sweeper import sla_sweep
from tests.concurrency import POSTGRES_ONLY, run_together

pytestmark = POSTGRES_ONLY

BERLIN = ZoneInfo("Europe/Berlin")


def test_two_concurrent_sweepers_produce_no_duplicate_escalation(start_purchase):
    with time_machine.travel(datetime(2026, 12, 23, 10, 0, tzinfo=BERLIN), tick=False):
        cases = [start_purchase(amount="5000") for _ in range(6)]
    later = datetime(2027, 1, 22, 12, 0, tzinfo=BERLIN)
    results = run_together(lambda: sla_sweep(at=later), lambda: sla_sweep(at=later))
    assert not [r for r in results if isinstance(r, Exception)], results
    fired = [f for result in results for f in result]
    assert len(fired) == len(cases) * 2 * 4, "2 tasks per case, 4 levels each, each fired once"
    assert len({(f.clock_id, f.level) for f in fired}) == len(fired)
    events = AuditEvent.objects.filter(case_id__in=[c.pk for c in cases], action="sla.escalated")
    assert events.count() == len(cases) * 2
