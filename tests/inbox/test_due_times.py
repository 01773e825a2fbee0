"""A due time says when, in the reader's zone, and what it counts: business or wall-clock hours."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from apps.org.services import profile_time_zone_set
from apps.sla.models import SlaClock
from apps.sla.selectors_due import due_basis
from tests.conftest import task_for

# Wednesday 23 Dec 2026, 10:00 in Berlin: 48 business hours later (holidays and a weekend
# between) is Monday 4 Jan 2027, 10:00 in Berlin (see tests/sla/test_sweep.py).
START = datetime(2026, 12, 23, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture
def purchase(start_purchase):
    with time_machine.travel(START, tick=False):
        return start_purchase(amount="5000")


def test_the_task_page_says_when_and_that_business_hours_count(purchase, signed_in):
    task = task_for(purchase, "Manager approval")
    page = signed_in("bob").get(f"/tasks/{task.pk}/").content.decode()
    assert "due 4 Jan 2027 10:00 CET (48 business hours, Head office calendar)" in page


def test_the_case_page_and_the_inbox_row_say_it_shorter(purchase, signed_in):
    page = signed_in("alice").get(f"/cases/{purchase.pk}/").content.decode()
    assert "due 4 Jan 10:00 CET, 48 business hours" in page
    row = signed_in("bob").get("/inbox/").content.decode()
    assert "4 Jan 10:00 CET" in row and '<div class="hint">48 business hours</div>' in row


def test_the_due_time_is_in_the_readers_zone(purchase, users, signed_in):
    profile_time_zone_set(user=users["bob"], time_zone="America/New_York", actor=users["bob"])
    task = task_for(purchase, "Manager approval")
    page = signed_in("bob").get(f"/tasks/{task.pk}/").content.decode()
    assert "due 4 Jan 2027 04:00 EST (48 business hours, Head office calendar)" in page


@pytest.mark.parametrize(
    ("business", "hours", "short", "text"),
    [
        (True, "48.00", False, "48 business hours, Head office calendar"),
        (True, "48.00", True, "48 business hours"),
        (True, "1", True, "1 business hour"),
        (False, "8.50", False, "8.5 wall-clock hours"),
    ],
)
def test_a_due_time_names_what_it_counts(business, hours, short, text):
    clock = SlaClock(business_hours=business, target_hours=Decimal(hours), calendar_name="Head office")
    assert due_basis(clock, short=short) == text
