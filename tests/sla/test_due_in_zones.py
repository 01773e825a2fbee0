"""SLA reminders name the due time in each recipient's own zone, with its label."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from apps.notify.models import Notification
from apps.org.services import profile_time_zone_set
from apps.sla.sweeper import sla_sweep

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 12, 23, 10, 0, tzinfo=BERLIN)  # due 4 Jan 2027 10:00 Berlin (tests/sla/test_sweep.py)
REMIND = datetime(2026, 12, 29, 10, 0, tzinfo=BERLIN)


def test_each_recipient_reads_the_due_time_in_their_zone(start_purchase, users):
    profile_time_zone_set(user=users["fiona"], time_zone="America/New_York", actor=users["fiona"])
    profile_time_zone_set(user=users["frank"], time_zone="", actor=users["frank"])  # the default: UTC
    with time_machine.travel(START, tick=False):
        case = start_purchase(amount="5000")
    sla_sweep(at=REMIND)
    bodies = {n.user.username: n.body for n in Notification.objects.filter(case_id=case.pk, kind="reminder")}
    assert bodies == {
        "bob": "It is due 4 Jan 2027 10:00 CET.",
        "fiona": "It is due 4 Jan 2027 04:00 EST.",
        "frank": "It is due 4 Jan 2027 09:00 UTC.",
    }
