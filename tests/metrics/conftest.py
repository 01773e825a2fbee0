"""A constructed history with known answers, built through the real services under a moved clock.

The organisation works Mon-Fri 09:00-17:00 Europe/Berlin (the demo's calendar); in November
Berlin is UTC+1, so 08:00 UTC is the start of a working day. Workflow "metrics-flow": one stage
"review" approved by the requester's manager (alice -> bob), approval SLA 4 business hours with a
reminder after 2.

    case  version  started (UTC)   what happened                                         closed
    A     v1       Mon 08:00       bob approves Mon 10:00                                approved, 2 h
    F     v1       Mon 08:00       alice withdraws Mon 09:00                             withdrawn, 1 h
    B     v1       Mon 08:00       SLA sweep Mon 15:00 (reminder, breach); bob returns   rejected, 48 h
                                   Tue 08:00; alice resubmits Tue 09:00; bob rejects
                                   Wed 08:00 (late: due Tue 13:00)
    (v2 published Tue 07:00)
    C     v2       Tue 08:00       bob approves Tue 11:00                                approved, 3 h
    D     v2       Wed 08:00       waiting for bob                                       open
    T1,T2 v2 test  Tue 08:00       olivia's test cases: T1 approved Tue 09:00, T2 open   never counted

Everything is read at NOW = Wed 10:00 UTC.
"""

from datetime import UTC, datetime

import pytest
import time_machine

from apps.cases.services import case_start, case_start_test, case_withdraw, task_complete
from apps.definitions.selectors import version_live
from apps.definitions.services import definition_create, draft_create_from, version_publish
from apps.sla.sweeper import sla_sweep
from tests.conftest import open_tasks

KEY = "metrics-flow"
SPEC = {
    "fields": [{"name": "amount", "type": "decimal", "label": "Amount", "required": True}],
    "stages": [
        {
            "key": "review",
            "name": "Review",
            "approvers": [{"key": "manager", "label": "Manager approval", "type": "manager"}],
        }
    ],
    "sla": {"approval": {"target_hours": 4, "business": True, "levels": [{"after_hours": 2, "action": "remind"}]}},
}


def at(day: int, hour: int) -> datetime:
    """2 = Monday 2 November 2026."""
    return datetime(2026, 11, day, hour, tzinfo=UTC)


MON, TUE, WED = 2, 3, 4
NOW = at(WED, 10)


def _decide(case, actor, decision, **extra):
    (task,) = open_tasks(case)
    return task_complete(task_id=task.pk, actor=actor, decision=decision, **extra)


@pytest.fixture
def history(demo):
    alice, bob, olivia = demo["alice"], demo["bob"], demo["olivia"]

    def start():
        case, _ = case_start(workflow=KEY, data={"amount": "10"}, actor=alice)
        return case

    with time_machine.travel(at(MON, 7), tick=False):
        version_publish(version=definition_create(key=KEY, name="Metrics flow", spec=SPEC, actor=olivia), actor=olivia)
    with time_machine.travel(at(MON, 8), tick=False):
        a, f, b = start(), start(), start()
    with time_machine.travel(at(MON, 9), tick=False):
        case_withdraw(case_id=f.pk, actor=alice, reason="Not needed")
    with time_machine.travel(at(MON, 10), tick=False):
        _decide(a, bob, "approve")
    sla_sweep(at=at(MON, 15))
    with time_machine.travel(at(TUE, 7), tick=False):
        version_publish(version=draft_create_from(version=version_live(key=KEY), actor=olivia), actor=olivia)
    with time_machine.travel(at(TUE, 8), tick=False):
        _decide(b, bob, "return", reason="Add the quote")
        c = start()
        v2 = version_live(key=KEY)
        t1 = case_start_test(version=v2, data={"amount": "1"}, actor=olivia)
        t2 = case_start_test(version=v2, data={"amount": "2"}, actor=olivia)
    with time_machine.travel(at(TUE, 9), tick=False):
        _decide(b, alice, "submit", data={})
        _decide(t1, olivia, "approve")
    with time_machine.travel(at(TUE, 11), tick=False):
        _decide(c, bob, "approve")
    with time_machine.travel(at(WED, 8), tick=False):
        _decide(b, bob, "reject", reason="Too expensive")
        d = start()
    return {"A": a, "B": b, "C": c, "D": d, "F": f, "T1": t1, "T2": t2}


ID_KEYS = {"case_ids", "breached_case_ids", "open_case_ids", "repaired_case_ids"}


def _without_ids(value):
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k not in ID_KEYS}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


def both(panel, **kwargs) -> dict:
    """The panel with the cases behind its numbers (as the drill-down page asks for it), after
    checking that without them (the dashboard, the CSV) it has the very same numbers."""
    with_ids = panel(**kwargs, with_case_ids=True)
    assert panel(**kwargs) == _without_ids(with_ids)
    return with_ids
