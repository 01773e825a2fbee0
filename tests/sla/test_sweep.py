"""The purchase SLA chain with a controlled clock: business hours across a weekend and public
holidays, every level exactly once and in order, work done in time never escalates."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from apps.audit.models import AuditEvent
from apps.cases.services import task_claim, task_complete
from apps.sla.models import SlaClock
from apps.sla.sweeper import sla_sweep
from tests.conftest import reload, task_for

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args):
    return datetime(*args, tzinfo=BERLIN)


# Wednesday 23 Dec 2026, 10:00 in Berlin. 25 Dec and 1 Jan are public holidays (DE-BE),
# 26-27 Dec and 2-3 Jan are weekends.
START = berlin(2026, 12, 23, 10, 0)
REMIND = berlin(2026, 12, 29, 10, 0)  # 7h Wed + 8h Thu 24th + 8h Mon 28th + 1h Tue = 24 business hours
ESCALATE = berlin(2027, 1, 4, 10, 0)  # 48: Tue 29 to Thu 31 (47h), 1 Jan is a holiday, then Mon 4 Jan 10:00
REROUTE = berlin(2027, 1, 7, 10, 0)  # 72 business hours


@pytest.fixture
def purchase(start_purchase):
    with time_machine.travel(START, tick=False):
        return start_purchase(amount="5000")


def sla_trail(case):
    return [
        (e.action, e.step)
        for e in AuditEvent.objects.filter(case_id=case.pk, action__startswith="sla.").order_by("at", "id")
    ]


def test_levels_fire_at_the_right_business_moments(purchase, users):
    manager = task_for(purchase, "Manager approval")
    clock = SlaClock.objects.get(task=manager)
    assert clock.due == ESCALATE
    assert [(lv["action"], datetime.fromisoformat(lv["at"])) for lv in clock.levels] == [
        ("remind", REMIND),
        ("breach", ESCALATE),
        ("escalate", ESCALATE),
        ("reroute", REROUTE),
    ]

    assert sla_sweep(at=berlin(2026, 12, 29, 9, 59)) == []
    fired = sla_sweep(at=REMIND)
    assert sorted(f.action for f in fired) == ["remind", "remind"]

    fired = sla_sweep(at=ESCALATE)
    assert sorted(f.action for f in fired) == ["breach", "breach", "escalate", "escalate"]
    manager.refresh_from_db()
    assert manager.owner == users["carol"], "escalated to bob's manager"

    fired = sla_sweep(at=REROUTE)
    assert sorted(f.action for f in fired) == ["reroute", "reroute"]


def test_reroute_gives_a_claimed_role_task_to_another_member(purchase, users):
    finance = task_for(purchase, "Finance approval")
    with time_machine.travel(START, tick=False):
        task_claim(task_id=finance.pk, actor=users["fiona"])
    sla_sweep(at=ESCALATE)
    finance.refresh_from_db()
    # fiona's manager carol has just been given bob's manager approval of the same stage:
    # she may not take a second one, so it stays with fiona (segregation of duties).
    assert task_for(purchase, "Manager approval").owner == users["carol"]
    assert finance.owner == users["fiona"]
    sla_sweep(at=REROUTE)
    finance.refresh_from_db()
    assert finance.owner == users["frank"], "fiona already held it: the other finance member"


def test_jumping_thirty_days_applies_every_level_once_in_order(purchase):
    fired = sla_sweep(at=berlin(2027, 1, 22, 12, 0))
    per_task = {}
    for f in fired:
        per_task.setdefault(f.task_id, []).append(f.action)
    assert list(per_task.values()) == [["remind", "breach", "escalate", "reroute"]] * 2
    trail = sla_trail(purchase)
    assert [a for a, step in trail if step == "Manager approval"] == [
        "sla.reminded",
        "sla.breached",
        "sla.escalated",
        "sla.rerouted",
    ]
    assert sla_sweep(at=berlin(2027, 1, 22, 12, 0)) == [], "a second sweep at the same moment changes nothing"
    assert sla_trail(purchase) == trail


def test_a_task_finished_before_its_deadline_never_escalates(purchase, users):
    with time_machine.travel(berlin(2026, 12, 23, 15, 0), tick=False):
        task_complete(task_id=task_for(purchase, "Manager approval").pk, actor=users["bob"], decision="approve")
        task_complete(task_id=task_for(purchase, "Finance approval").pk, actor=users["fiona"], decision="approve")
    assert reload(purchase).outcome == "approved"
    assert sla_sweep(at=berlin(2027, 2, 1, 12, 0)) == []
    assert sla_trail(purchase) == []
    assert not SlaClock.objects.filter(next_fire_at__isnull=False).exists()


def test_dry_run_lists_what_would_fire_and_changes_nothing(purchase):
    planned = sla_sweep(at=ESCALATE, dry_run=True)
    assert sorted(f.action for f in planned) == ["breach", "breach", "escalate", "escalate", "remind", "remind"]
    assert sla_trail(purchase) == []
    assert len(sla_sweep(at=ESCALATE)) == 6


def test_rework_auto_closes_after_ten_business_days_with_evidence(start_purchase, users):
    with time_machine.travel(START, tick=False):
        case = start_purchase(amount="5000", cost_center=None)
    # 10 business days of 8 hours from Wed 23 Dec 10:00, skipping holidays and weekends.
    assert sla_sweep(at=berlin(2027, 1, 8, 9, 59)) == []
    fired = sla_sweep(at=berlin(2027, 1, 8, 10, 0))
    assert [f.action for f in fired] == ["breach", "auto_close"]
    case = reload(case)
    assert (case.status_label, case.outcome) == ("closed", "auto_closed")
    event = AuditEvent.objects.get(case_id=case.pk, action="case.auto_closed")
    assert event.actor_name == "SYSTEM" and event.context["waited_for"] == ["cost_center"]
    assert "did not respond within 80 business hours" in event.reason


def test_command_sweeps_as_if_at_a_moment(purchase, capsys):
    from django.core.management import call_command

    call_command("sla_sweep", "--at", REMIND.isoformat(), "--dry-run")
    assert "2 level(s) would fire" in capsys.readouterr().out
    call_command("sla_sweep", "--at", REMIND.isoformat())
    assert "2 level(s) fired" in capsys.readouterr().out
