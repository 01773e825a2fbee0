"""SLA escalation and reroute never give one person two approvals of a stage round."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from apps.audit.models import AuditEvent
from apps.cases.services import task_claim
from apps.notify.models import Notification
from apps.sla.sweeper import sla_sweep
from tests.conftest import task_for

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 12, 23, 10, 0, tzinfo=BERLIN)
ESCALATE = datetime(2027, 1, 4, 10, 0, tzinfo=BERLIN)
REROUTE = datetime(2027, 1, 7, 10, 0, tzinfo=BERLIN)


def test_escalation_never_hands_the_manager_a_second_approval(start_purchase, users):
    """Issue 10, reproduction (b): frank holds finance on fiona's 5,000 case; carol holds manager."""
    carol, frank = users["carol"], users["frank"]
    with time_machine.travel(START, tick=False):
        case = start_purchase(actor=users["fiona"], amount="5000")
        finance = task_for(case, "Finance approval")
        task_claim(task_id=finance.pk, actor=frank)
    manager = task_for(case, "Manager approval")
    assert manager.owner == carol

    sla_sweep(at=ESCALATE)

    finance.refresh_from_db()
    manager.refresh_from_db()
    assert (manager.owner, finance.owner) == (carol, frank), "carol may not take frank's finance approval"
    told = AuditEvent.objects.get(case_id=case.pk, task_id=finance.pk, action="sla.escalated")
    assert "carol" in told.reason and "once per stage" in told.reason and "stays with frank" in told.reason
    assert Notification.objects.filter(user=users["oscar"], task_id=finance.pk, kind="escalation").exists()


def test_reroute_picks_another_eligible_person(start_purchase, users):
    with time_machine.travel(START, tick=False):
        case = start_purchase(actor=users["fiona"], amount="5000")
        finance = task_for(case, "Finance approval")
        task_claim(task_id=finance.pk, actor=users["frank"])
    sla_sweep(at=REROUTE)
    finance.refresh_from_db()
    # fiona requested the case, carol holds the manager approval: nobody else may take it.
    assert finance.owner == users["frank"]
    assert AuditEvent.objects.filter(case_id=case.pk, task_id=finance.pk, action="sla.rerouted").exists()
