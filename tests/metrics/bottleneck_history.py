"""A constructed history for the bottleneck view, built through the real services under a moved
clock (Monday 2 November 2026, UTC). Workflow "bottleneck-flow":

    v1: "customer" (wait for the Customer portal) -> "review" (manager and the finance queue, all approve)
    v2 (published Tue 07:00): "review" (manager only)

    case  version  what happened                                                           closed
    P     v1       Mon 08:00 started; the customer answers 10:00 (2 h); review from 10:00:  Mon 14:00
                   fiona (finance) 11:00 (1 h), bob 14:00 (4 h)
    Q     v1       Mon 08:00 started; the customer answers 14:00 (6 h); review from 14:00:  Tue 12:00
                   bob returns 16:00 (2 h; finance's task is cancelled); alice resubmits
                   Tue 08:00 (16 h); review again: fiona 09:00 (1 h), bob 12:00 (4 h)
    R     v2       Tue 08:00 started; bob approves 18:00 (10 h)                             Tue 18:00
    O     v2       Tue 08:00 started, still open                                            never
    T     v2 test  olivia's test case, approved Tue 09:00                                   never counted

Known answers over every version (3 closed cases: P, Q, R), hours per case summed over visits:
    review (stage)     P 4, Q 2+4, R 10   p50 6, p90 9.2, 3 of 3
    review: manager    P 4, Q 2+4, R 10   p50 6, p90 9.2, 3 of 3
    review: finance    P 1, Q 1           p50 1, p90 1,   2 of 3 (Q's first finance task was cancelled)
    customer (wait)    P 2, Q 6           p50 4, p90 5.6, 2 of 3
    rework             Q 16               p50 16, p90 16, 1 of 3
"""

from datetime import UTC, datetime

import pytest
import time_machine

from apps.automation.services import step_callback
from apps.cases.services import case_start, case_start_test, task_complete
from apps.definitions.selectors import version_live
from apps.definitions.services import definition_create, draft_create_from, draft_update, version_publish
from tests.conftest import open_tasks

KEY = "bottleneck-flow"
REVIEW = {
    "key": "review",
    "name": "Review",
    "policy": "all",
    "approvers": [
        {"key": "manager", "label": "Manager approval", "type": "manager"},
        {"key": "finance", "label": "Finance approval", "type": "role", "role": "finance"},
    ],
}
WAIT = {"key": "customer", "name": "Customer answers", "type": "wait", "system": "Customer portal", "timeout_hours": 48}
SPEC_V1 = {
    "fields": [{"name": "amount", "type": "decimal", "label": "Amount", "required": True}],
    "stages": [WAIT, REVIEW],
}
SPEC_V2 = {**SPEC_V1, "stages": [{**REVIEW, "approvers": REVIEW["approvers"][:1]}]}


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


MON, TUE = 2, 3


def decide(case, actor, decision, label=None, **extra):
    tasks = [t for t in open_tasks(case) if label is None or t.data.get("label") == label]
    return task_complete(task_id=tasks[0].pk, actor=actor, decision=decision, **extra)


@pytest.fixture
def bottlenecks(demo):
    alice, bob, fiona, olivia = demo["alice"], demo["bob"], demo["fiona"], demo["olivia"]

    def start():
        return case_start(workflow=KEY, data={"amount": "10"}, actor=alice)[0]

    def answer(case):
        step_callback(case_id=case.pk, step_key="customer", data={}, actor=demo["admin"])

    with time_machine.travel(at(MON, 7), tick=False):
        version_publish(
            version=definition_create(key=KEY, name="Bottleneck flow", spec=SPEC_V1, actor=olivia), actor=olivia
        )
    with time_machine.travel(at(MON, 8), tick=False):
        p, q = start(), start()
    with time_machine.travel(at(MON, 10), tick=False):
        answer(p)
    with time_machine.travel(at(MON, 11), tick=False):
        decide(p, fiona, "approve", "Finance approval")
    with time_machine.travel(at(MON, 14), tick=False):
        decide(p, bob, "approve", "Manager approval")
        answer(q)
    with time_machine.travel(at(MON, 16), tick=False):
        decide(q, bob, "return", "Manager approval", reason="Which customer?")
    with time_machine.travel(at(TUE, 7), tick=False):
        draft = draft_create_from(version=version_live(key=KEY), actor=olivia)
        draft_update(version=draft, spec=SPEC_V2, actor=olivia)
        version_publish(version=draft, actor=olivia)
    with time_machine.travel(at(TUE, 8), tick=False):
        decide(q, alice, "submit", data={})
        r, o = start(), start()
        t = case_start_test(version=version_live(key=KEY), data={"amount": "1"}, actor=olivia)
    with time_machine.travel(at(TUE, 9), tick=False):
        decide(q, fiona, "approve", "Finance approval")
        decide(t, olivia, "approve")
    with time_machine.travel(at(TUE, 12), tick=False):
        decide(q, bob, "approve", "Manager approval")
    with time_machine.travel(at(TUE, 18), tick=False):
        decide(r, bob, "approve")
    return {"P": p, "Q": q, "R": r, "O": o, "T": t}
