"""Starting, pausing and resuming SLA clocks. Called by the engine when it creates a task,
returns a case to its requester and takes it back; the sweeper fires the levels.

An SLA policy is part of a version's spec::

    "sla": {"approval": {"target_hours": 48, "business": true,
                         "levels": [{"after_hours": 24, "action": "remind"},
                                    {"after_hours": 48, "action": "escalate"},
                                    {"after_hours": 72, "action": "reroute"}]},
            "rework": {"target_hours": 80, "business": true,
                       "levels": [{"after_hours": 80, "action": "auto_close"}]},
            "case": {"target_hours": 120, "business": true, "pause_on_rework": true,
                     "levels": [{"after_hours": 120, "action": "notify", "notify": {"role": "operators"}}]}}

A stage may carry its own "sla" (same shape as "approval") to override the default.
Level moments are computed once, when the clock starts, on the definition's calendar.
"""

from datetime import UTC, datetime
from decimal import Decimal

from django.db.models import Case, DateTimeField, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.cases.taskinfo import task_info
from apps.definitions.accessors import SlaPolicy, spec_of

from .calendar import add_business_hours, add_calendar_hours, business_hours_between
from .models import ClockKind, ClockResult, SlaClock
from .selectors import calendar_for

ACTIONS = ["remind", "notify", "escalate", "reroute", "auto_close"]
BREACH = "breach"


def _moment(*, calendar, business: bool, start: datetime, hours) -> datetime:
    if business:
        return add_business_hours(calendar=calendar, start=start, hours=hours)
    return add_calendar_hours(start, hours)


def _iso(moment: datetime) -> str:
    """Level moments are stored as UTC ISO strings, so they sort and compare as text."""
    return moment.astimezone(UTC).isoformat()


def when(level: dict) -> datetime:
    return datetime.fromisoformat(level["at"])


def _policy(case, kind: str, stage_key: str = "") -> SlaPolicy | None:
    return spec_of(case.version).sla(kind, stage_key=stage_key)


def _schedule(*, calendar, policy: SlaPolicy, start: datetime, hours_done: Decimal = Decimal(0)) -> tuple:
    """(due, levels): each level with the ISO moment it fires; the breach is a level of its own."""
    business, target = policy.business, policy.target_hours
    due = _moment(calendar=calendar, business=business, start=start, hours=target - hours_done)
    levels = [{"action": BREACH, "after_hours": float(target), "at": _iso(due)}]
    for level in policy.levels:
        after = level.after_hours
        if after < hours_done:
            continue  # fired before the pause
        at = _moment(calendar=calendar, business=business, start=start, hours=after - hours_done)
        levels.append({**level.as_dict(), "after_hours": float(after), "at": _iso(at)})
    # Stable order: by moment, and at the same moment the breach first, then the policy's order.
    levels.sort(key=lambda level: level["at"])
    return due, levels


def _calendar(case):
    # NOTE: one case starts several clocks in one transaction; look its calendar up once.
    cached = getattr(case, "_sla_calendar", None)
    if cached is None:
        cached = case._sla_calendar = calendar_for(definition=case.version)
    return cached


def clock_build(*, case, kind: str, task=None, at: datetime | None = None, stage_key: str = "") -> SlaClock | None:
    """The clock of a new task (or of the whole case), not yet saved, if its version has an SLA
    for it (see `clock_start`; the SLA receivers save several in one INSERT). A wait step's task
    carries no stage: its clock is given the step's key."""
    stage_key = stage_key or (task_info(task).stage if task is not None else "")
    policy = _policy(case, kind, stage_key)
    if policy is None:
        return None
    start = at or timezone.now()
    calendar = _calendar(case)
    due, levels = _schedule(calendar=calendar, policy=policy, start=start)
    return SlaClock(
        case=case,
        task=task,
        kind=kind,
        stage=clock_stage(kind=kind, stage_key=stage_key),
        started=start,
        due=due,
        business_hours=policy.business,
        calendar_name=calendar.name,
        target_hours=policy.target_hours,
        levels=levels,
        next_level=0,
        next_fire_at=when(levels[0]) if levels else None,
        workflow_key=case.workflow_key,
        version_number=case.version_number,
    )


def clock_stage(*, kind: str, stage_key: str) -> str:
    """What the SLA panel groups a clock by: an approval stage's key, "rework", or "case"."""
    return (stage_key or "") if kind in (ClockKind.APPROVAL, ClockKind.WAIT) else kind


def clock_settle(clock: SlaClock, *, end: datetime) -> None:
    """Mark a clock that ended at `end` (not saved): breached at its sweeper mark, or at its due
    moment if it ended past it, else met at `end`. A clock already counted stays as it is."""
    if clock.counted_at is not None:
        return
    late_at = clock.breached_at or (clock.due if clock.due is not None and clock.due < end else None)
    clock.counted_at = late_at or end
    clock.result = ClockResult.BREACHED if late_at else ClockResult.MET


def _settled_at(end):
    """(counted_at, result) expressions of `clock_settle` for an UPDATE: breached at the
    sweeper's mark or at the due moment if `end` is past it, else met at `end`."""
    late = Q(breached_at__isnull=False) | Q(due__lt=end)
    counted_at = Case(
        When(breached_at__isnull=False, then=F("breached_at")),
        When(due__lt=end, then=F("due")),
        default=end,
        output_field=DateTimeField(),
    )
    return counted_at, Case(When(late, then=Value(ClockResult.BREACHED)), default=Value(ClockResult.MET))


def clock_task_ended(*, case, task, at: datetime | None = None) -> int:
    """Settle the clock of a person's task that was decided or cancelled, in that transaction,
    so a dashboard never joins a clock to its task (sla.selectors._counted_clocks). One UPDATE; none for a
    version without SLAs."""
    if not _has_sla(case):
        return 0
    end = Value(at or timezone.now(), output_field=DateTimeField())
    counted_at, result = _settled_at(end)
    return SlaClock.objects.filter(task=task, counted_at__isnull=True).update(counted_at=counted_at, result=result)


def clock_late_moment(end, now: datetime):
    """An expression: when a clock breached (None if it did not, or not yet): the sweeper's
    mark, else its due moment once it ended past it or, still running, `now` is past it."""
    return Coalesce(
        F("breached_at"),
        Case(When(due__lt=Coalesce(end, Value(now)), then=F("due")), default=None),
        output_field=DateTimeField(),
    )


def _has_sla(case) -> bool:
    """Whether the case's version starts any clock (else it has none to settle)."""
    spec = spec_of(case.version)
    return any(spec.sla(kind) for kind in ClockKind.values) or any(s.sla is not None for s in spec.stages)


def clocks_end(*, case, at: datetime | None = None) -> int:
    """Settle every clock of a closing case not settled yet (`counted_at`, `result`), as
    `clock_settle` says: each task's clock at its task's end, the case's own at `at`. Sent when
    the case closes, in its transaction. One UPDATE (none for a version without SLAs)."""
    if not _has_sla(case):
        return 0
    end = at or timezone.now()
    # NOTE: an UPDATE cannot join; the clock's own row, read again with its task, can.
    task_end = Subquery(SlaClock.objects.filter(pk=OuterRef("pk")).values("task__finished")[:1])
    ended = Coalesce(
        Case(When(task__isnull=False, then=task_end), default=Value(end)),
        F("stopped_at"),
        Value(end),
        output_field=DateTimeField(),
    )
    counted_at, result = _settled_at(ended)
    return SlaClock.objects.filter(case=case, counted_at__isnull=True).update(counted_at=counted_at, result=result)


def case_cycle_business_hours(*, case, end: datetime) -> float:
    """Business hours from the case's start to `end` on its version's SLA calendar (the spec's
    calendar, else the organisation's default): what the metrics report as business cycle time.
    One query (the calendar)."""
    return business_hours_between(calendar=_calendar(case), start=case.created, end=end)


def case_cycle_record(*, case) -> None:
    """Write the closing case's business-hours cycle time on it, in the close's transaction. Closed
    at an End node, the case is not saved yet (`finished` unset): the End's save writes the value
    (its `finished` follows within the same request). Closed by `case_close`, the row is already
    final: one UPDATE of that column, which writes no history row of its own."""
    end = case.finished or timezone.now()
    case.cycle_business_hours = case_cycle_business_hours(case=case, end=end)
    if case.finished is not None:
        type(case).objects.filter(pk=case.pk).update(cycle_business_hours=case.cycle_business_hours)


def clock_start(*, case, kind: str, task=None, at: datetime | None = None, stage_key: str = "") -> SlaClock | None:
    """Start the clock of a new task (or of the whole case) if its version has an SLA for it."""
    clock = clock_build(case=case, kind=kind, task=task, at=at, stage_key=stage_key)
    if clock is not None:
        clock.save()
    return clock


def clock_pause_case(*, case, at: datetime | None = None) -> bool:
    """Stop the whole-case clock while the case waits on its requester (if the policy says so)."""
    policy = _policy(case, ClockKind.CASE)
    if policy is None or not policy.pause_on_rework:
        return False
    clock = SlaClock.objects.filter(
        case=case, kind=ClockKind.CASE, paused_at__isnull=True, stopped_at__isnull=True
    ).first()
    if clock is None:
        return False
    now = at or timezone.now()
    calendar = _calendar(case)
    if clock.business_hours:
        ran = Decimal(str(business_hours_between(calendar=calendar, start=clock.started, end=now)))
    else:
        ran = Decimal((now - clock.started).total_seconds() / 3600)
    clock.elapsed_hours = (clock.elapsed_hours + ran).quantize(Decimal("0.01"))
    clock.paused_at, clock.next_fire_at, clock.due = now, None, None
    clock.save(update_fields=["elapsed_hours", "paused_at", "next_fire_at", "due"])
    return True


def clock_resume_case(*, case, at: datetime | None = None) -> bool:
    """Restart a paused whole-case clock: the time already used still counts."""
    clock = SlaClock.objects.filter(
        case=case, kind=ClockKind.CASE, paused_at__isnull=False, stopped_at__isnull=True
    ).first()
    if clock is None:
        return False
    now = at or timezone.now()
    policy = _policy(case, ClockKind.CASE)
    calendar = _calendar(case)
    due, levels = _schedule(calendar=calendar, policy=policy, start=now, hours_done=clock.elapsed_hours)
    fired = [level for level in clock.levels[: clock.next_level]]
    clock.started, clock.due, clock.paused_at = now, due, None
    clock.levels = fired + [
        lv
        for lv in levels
        if not any(f["action"] == lv["action"] and f["after_hours"] == lv["after_hours"] for f in fired)
    ]
    clock.next_fire_at = when(clock.levels[clock.next_level]) if clock.next_level < len(clock.levels) else None
    clock.save(update_fields=["started", "due", "paused_at", "levels", "next_fire_at"])
    return True


def next_escalation(clock: SlaClock | None) -> dict | None:
    """The next level that will fire, for display ("escalate at 3 Dec 09:00")."""
    if clock is None or clock.next_level >= len(clock.levels) or clock.stopped_at:
        return None
    return clock.levels[clock.next_level]


def is_breached(clock: SlaClock | None, *, at: datetime | None = None) -> bool:
    if clock is None or clock.due is None:
        return bool(clock and clock.breached_at)
    return clock.breached_at is not None or (clock.stopped_at is None and (at or timezone.now()) >= clock.due)
