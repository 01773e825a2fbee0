"""`seed_demo --history DAYS`: the demo organisation's past, lived through the real services.

DAYS days before now, the clock is moved back (time_machine) and the demo people start purchases
and invoices every working day (and customer onboardings and HR requests, template_stories.py;
access, IT, policy-exception requests and scheduled reports, service_stories.py), decide, return, resubmit, withdraw; the ERP goes down for
maintenance and operators repair the cases it failed; the SLA sweep and the step sweep run as the
clock moves; halfway, Olivia publishes version 2 of purchase approval (finance from 5,000). Every
row (cases, tasks, audit events, SLA clocks, notifications) is stamped when it happened. The
history ends at the present, with the work of the last days still open. Seeded, so two runs tell
the same story.
"""

import logging
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.auth import get_user_model
from django.test.utils import override_settings
from django.utils import timezone
from django_q.conf import Conf

from apps.automation.services import step_retry_due
from apps.cases.models import Case
from apps.definitions.library import PURCHASE_APPROVAL, PURCHASE_FINANCE_FROM, purchase_approval_spec
from apps.definitions.selectors import version_live
from apps.definitions.services import draft_create_from, draft_update, version_publish
from apps.notify.services import notification_mark_all_read
from apps.sla.selectors import calendar_default
from apps.sla.services import HEAD_OFFICE
from apps.sla.sweeper import sla_sweep

from . import stories
from .clock import Agenda
from .erp import erp_in_process
from .service_stories import service_stories_plan
from .template_stories import template_stories_plan
from .world import World

SEED = 13  # the story told; another number tells another one
VERSION_2_FINANCE_FROM = "5000"
MSG_HAS_CASES = "History skipped: the database already has {count} cases (the history is only added to one without)."
# The past's routine chatter (q2's task lines, the ERP's 503s and the retries they cause), not shown.
QUIET_LOGGERS = ["django-q", "django.request", "apps.automation", "apps.demo.history"]
SWEEP_HOURS = [8, 10, 12, 14, 16, 18]  # the schedules' sweeps, every two hours of the working day

# The first working day shows every kind of story once, so even a short history has them all.
FIRST_DAY = [
    (stories.purchase, "approved"),
    (stories.purchase, "stalled"),
    (stories.invoice, "erp_down"),
    (stories.purchase, "rejected"),
    (stories.invoice, "approved"),
    (stories.purchase, "returned"),
    (stories.invoice, "bad_vendor"),
    (stories.purchase, "withdrawn"),
    (stories.invoice, "rejected"),
    (stories.purchase, "incomplete"),
    (stories.invoice, "missing_po"),
]
# The last afternoon before the present leaves work waiting on the requester and on an operator.
LAST_AFTERNOON = [
    (stories.purchase, "waiting_on_requester"),
    (stories.invoice, "waiting_on_operator"),
]
# Later days draw from this mix (story, plan, weight).
MIX = [
    (stories.purchase, "approved", 10),
    (stories.purchase, "rejected", 2),
    (stories.purchase, "returned", 2),
    (stories.purchase, "withdrawn", 1),
    (stories.purchase, "stalled", 1),
    (stories.purchase, "incomplete", 1),
    (stories.invoice, "approved", 7),
    (stories.invoice, "rejected", 1),
    (stories.invoice, "returned", 1),
    (stories.invoice, "erp_down", 1),
    (stories.invoice, "bad_vendor", 1),
    (stories.invoice, "missing_po", 1),
]


@dataclass
class HistoryReport:
    days: int
    skipped: str = ""
    start: datetime | None = None
    end: datetime | None = None
    told: dict = field(default_factory=dict)

    def lines(self) -> list[str]:
        if self.skipped:
            return [self.skipped]
        done = ", ".join(f"{count} {what}" for what, count in sorted(self.told.items()))
        return [f"History of {self.days} days ({self.start:%Y-%m-%d} to {self.end:%Y-%m-%d %H:%M} UTC): {done}."]


def history_seed(
    *, days: int, setup: Callable[[], None], seed: int = SEED, per_day: tuple[int, int] = (3, 6)
) -> HistoryReport:
    """Live `days` days of the demo's past up to now, after `setup` (the demo's people and
    workflows) as of its first morning; only `setup`, now, when the database has cases already
    (so seeding twice never doubles the history)."""
    existing = Case.objects.count()
    if existing:
        setup()
        return HistoryReport(days=days, skipped=MSG_HAS_CASES.format(count=existing))
    end = timezone.now() - timedelta(minutes=5)
    zone = ZoneInfo(HEAD_OFFICE["time_zone"])
    first_day = end.astimezone(zone).date() - timedelta(days=days)
    start = datetime.combine(first_day, time(7, 30), zone)
    # The organisation and its workflows exist from the first morning, so no case is older than
    # the version it is pinned to (a database seeded before keeps its dates).
    with time_machine.travel(start - timedelta(minutes=30), tick=True):
        setup()
    calendar = calendar_default()
    agenda = Agenda(start=start, end=end, calendar=calendar)
    world = World(agenda=agenda, seed=seed)
    working = [
        first_day + timedelta(days=n) for n in range(days + 1) if _works(calendar, first_day + timedelta(days=n))
    ]
    for number, day in enumerate(working):
        todays = FIRST_DAY if number == 0 else _draw(world, per_day)
        for story, plan in todays:
            moment = datetime.combine(day, time(9), zone) + timedelta(minutes=world.rng.randrange(0, 7 * 60 + 30))
            agenda.at(moment, lambda story=story, plan=plan: world.tell(story(world, plan)))
        for hour in SWEEP_HOURS:
            agenda.at(datetime.combine(day, time(hour, 5), zone), _sweep)
    # The onboardings and HR requests live on a World of their own: the story above stays as it was.
    side = template_stories_plan(agenda=agenda, working=working, zone=zone, seed=seed + 1)
    # So do the access, IT, policy-exception and recurring-report stories (service_stories.py).
    service = service_stories_plan(agenda=agenda, working=working, zone=zone, seed=seed + 2)
    closing = _last_afternoon(working, end.astimezone(zone))
    if closing is not None:
        for minutes, (story, plan) in zip((0, 40), LAST_AFTERNOON, strict=True):
            moment = datetime.combine(closing, time(15), zone) + timedelta(minutes=minutes)
            agenda.at(moment, lambda story=story, plan=plan: world.tell(story(world, plan)))
    if working:
        middle = working[len(working) // 2]
        agenda.at(datetime.combine(middle, time(8, 30), zone), lambda: _publish_version_2(world))
        # What happened before the last working day has been read; its own news is still new.
        agenda.at(datetime.combine(working[-1], time(7, 45), zone), lambda: _mark_read(world))
    # NOTE: q2 runs its tasks inline (its sync mode, as in the tests) while the clock is moved, so
    # step attempts and notifications happen at the moment they were queued, not when a worker
    # next looks; e-mails of the past go nowhere.
    was_sync, Conf.SYNC = Conf.SYNC, True
    try:
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
            _quiet(QUIET_LOGGERS),
            erp_in_process(),
        ):
            agenda.run()
    finally:
        Conf.SYNC = was_sync
    return HistoryReport(days=days, start=start, end=end, told=dict(world.told + side.told + service.told))


@contextmanager
def _quiet(names: list[str]):
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _works(calendar, day) -> bool:
    return day.weekday() in (calendar.working_days or [])


def _last_afternoon(working: list, end):
    """The last working day whose afternoon is over before the present."""
    days = [d for d in working if datetime.combine(d, time(16, 30), end.tzinfo) < end]
    return days[-1] if days else None


def _draw(world: World, per_day: tuple[int, int]) -> list:
    count = world.rng.randint(*per_day)
    choices = [(story, plan) for story, plan, _ in MIX]
    return world.rng.choices(choices, weights=[w for *_, w in MIX], k=count)


def _sweep() -> None:
    step_retry_due()
    sla_sweep()


def _publish_version_2(world: World) -> None:
    """Olivia raises the amount from which purchases need finance (the texts say so too)."""
    olivia = world["olivia"]
    old, new = (f"{int(amount):,}" for amount in (PURCHASE_FINANCE_FROM, VERSION_2_FINANCE_FROM))
    draft = draft_create_from(version=version_live(key=PURCHASE_APPROVAL["key"]), actor=olivia)
    spec = purchase_approval_spec(finance_from=VERSION_2_FINANCE_FROM)
    draft = draft_update(
        version=draft, spec=spec, actor=olivia, change_note=f"Finance approves from {new} (was {old})."
    )
    version_publish(version=draft, actor=olivia)
    world.told["new versions"] += 1


def _mark_read(world: World) -> None:
    for user in get_user_model().objects.all():
        notification_mark_all_read(user=user)
