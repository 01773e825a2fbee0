"""The whole-case clock stops while the case waits on its requester, if the policy says so."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from apps.cases.services import task_complete
from apps.sla.models import SlaClock
from apps.sla.sweeper import sla_sweep
from tests.conftest import events, task_for

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2027, 3, 1, 9, 0, tzinfo=BERLIN)


def case_sla_spec(pause: bool) -> dict:
    return {
        "fields": [
            {"name": "amount", "type": "decimal", "label": "Amount", "required": True},
            {"name": "reference", "type": "text", "label": "Reference", "required_before": "review"},
        ],
        "stages": [
            {
                "key": "review",
                "name": "Review",
                "approvers": [{"key": "bob", "label": "Bob", "type": "user", "user": "bob"}],
            }
        ],
        "sla": {
            "case": {
                "target_hours": 16,
                "business": True,
                "pause_on_rework": pause,
                "levels": [{"after_hours": 16, "action": "notify", "notify": {"role": "operators"}}],
            }
        },
    }


def start_paused_case(demo, start, pause):
    from apps.definitions.services import definition_create, version_publish

    key = f"paused-{str(pause).lower()}"
    draft = definition_create(key=key, name=key, spec=case_sla_spec(pause), actor=demo["olivia"])
    version_publish(version=draft, actor=demo["olivia"])
    with time_machine.travel(MONDAY, tick=False):
        return start(key, amount="10")  # no reference: returned to alice at once


def test_case_clock_pauses_while_waiting_on_the_requester(demo, start):
    case = start_paused_case(demo, start, pause=True)
    clock = SlaClock.objects.get(case=case, kind="case")
    assert clock.paused_at is not None and clock.due is None and clock.next_fire_at is None
    # Alice answers a week later: the week does not count against the SLA.
    with time_machine.travel(MONDAY + timedelta(days=7), tick=False):
        task_complete(
            task_id=task_for(case, "Rework: complete the request").pk,
            actor=demo["alice"],
            decision="submit",
            data={"reference": "R-1"},
        )
    clock.refresh_from_db()
    assert clock.paused_at is None
    # 16 business hours from Monday 8 March 09:00; 8 March is a public holiday in Berlin.
    assert clock.due == datetime(2027, 3, 10, 17, 0, tzinfo=BERLIN)
    assert sla_sweep(at=datetime(2027, 3, 10, 16, 59, tzinfo=BERLIN)) == []
    assert [f.action for f in sla_sweep(at=datetime(2027, 3, 10, 17, 0, tzinfo=BERLIN))] == ["breach", "notify"]
    trail = sorted((e for e in events(case) if e.action.startswith("sla.")), key=lambda e: e.pk)
    assert [e.action for e in trail] == [
        "sla.paused",
        "sla.breached",
        "sla.notified",
    ]


def test_without_pause_the_wait_counts(demo, start):
    case = start_paused_case(demo, start, pause=False)
    clock = SlaClock.objects.get(case=case, kind="case")
    assert clock.paused_at is None
    assert clock.due == datetime(2027, 3, 2, 17, 0, tzinfo=BERLIN)
