"""The controlled clock of the demo history: a time machine and the agenda of what happens when.

Everything the history does runs at a moment of the agenda, with the process's clock moved there
(time_machine), so the services stamp their rows, SLA clocks and audit events with that moment, as
if it had happened then. Moments come in order and never reach the real present.
"""

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import time_machine
from django.utils import timezone

from apps.sla.calendar import add_business_hours


@dataclass(order=True)
class _Entry:
    at: datetime
    order: int
    action: Callable[[], None] = field(compare=False)


class Agenda:
    """What happens when, from `start` until just before `end` (the real present).

    `at(moment, action)` books an action; `run()` moves the clock to each booked moment in turn and
    runs its action. An action booked at or after `end` never runs: what it would have done is
    still to come, so its case stays open (waiting on a person, the requester, an operator).
    """

    def __init__(self, *, start: datetime, end: datetime, calendar):
        self.start, self.end, self.calendar = start, end, calendar
        # The booked moment being run: bookings count from it, not from the clock, which has moved
        # on by however long the services took, so two runs book the very same moments.
        self.now = start
        self._queue: list[_Entry] = []
        self._order = itertools.count()
        self._traveller = None

    def at(self, moment: datetime, action: Callable[[], None]) -> None:
        moment = max(moment, self.now)
        if moment < self.end:
            heapq.heappush(self._queue, _Entry(moment, next(self._order), action))

    def after(self, business_hours: float, action: Callable[[], None]) -> None:
        """Book an action this many business hours (the demo calendar's) from now."""
        self.at(add_business_hours(calendar=self.calendar, start=self.now, hours=business_hours), action)

    def wait(self, minutes: float) -> None:
        """Let time pass inside an action (a step's retries while the ERP is down)."""
        self.now += timedelta(minutes=minutes)
        self._traveller.move_to(max(self.now, timezone.now()))

    def run(self) -> None:
        # NOTE: tick=True lets time pass from each moment, so the rows one action writes keep
        # their order; the clock never goes back to before what the last action took.
        with time_machine.travel(self.start, tick=True) as self._traveller:
            while self._queue:
                entry = heapq.heappop(self._queue)
                self.now = entry.at
                self._traveller.move_to(max(entry.at, timezone.now()))
                entry.action()
        self._traveller = None
