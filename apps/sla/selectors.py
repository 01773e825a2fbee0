"""Reads about business calendars: which calendar a workflow runs on, who may edit calendars."""

from datetime import time

from django.db.models import Count, Q
from django.utils import timezone

from apps.definitions.accessors import Spec, spec_of
from apps.org import roles
from apps.org.selectors import user_has_role

from .models import BusinessCalendar, SlaClock

FALLBACK_NAME = "Standard hours"


def calendar_fallback() -> BusinessCalendar:
    """An unsaved Mon–Fri 09:00–17:00 UTC calendar without holidays, so a clock always has one."""
    return BusinessCalendar(
        name=FALLBACK_NAME,
        time_zone="UTC",
        working_days=[0, 1, 2, 3, 4],
        day_start=time(9),
        day_end=time(17),
        country="",
        subdivision="",
        closures=[],
    )


def calendar_default() -> BusinessCalendar:
    """The organisation's calendar, or the fallback when none is marked default."""
    return BusinessCalendar.objects.filter(is_default=True).first() or calendar_fallback()


def _calendar_name(definition) -> str | None:
    """The calendar a version's spec names; for a definition, the one its newest published
    version (else its draft) names."""
    if definition is None:
        return None
    if hasattr(definition, "spec"):
        return spec_of(definition).calendar
    from apps.definitions.models import VersionStatus

    versions = definition.versions
    version = (
        versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()
        or versions.filter(status=VersionStatus.DRAFT).first()
    )
    return spec_of(version).calendar if version is not None else None


def calendar_for(*, definition=None, spec: dict | None = None) -> BusinessCalendar:
    """The calendar a workflow's clocks use: the spec's `"calendar": "<name>"` if that calendar
    exists, else the default calendar, else the unsaved fallback. One query.

    `definition` may be a DefinitionVersion (a case's pinned version: preferred) or a
    WorkflowDefinition (its live version is used); `spec` wins when both are given.
    """
    name = _calendar_name(definition) if spec is None else Spec(spec).calendar
    if name:
        found = list(BusinessCalendar.objects.filter(Q(name=name) | Q(is_default=True)))
        named = [c for c in found if c.name == name]
        return (named or found or [calendar_fallback()])[0]
    return calendar_default()


def calendar_list():
    return BusinessCalendar.objects.order_by("-is_default", "name")


def calendar_can_edit(*, user) -> bool:
    """Workflow owners and administrators edit calendars; everyone signed in may read them."""
    return bool(user and user.is_authenticated) and (
        user.is_superuser or user_has_role(user=user, role=roles.WORKFLOW_OWNERS)
    )


def sla_breach_counts() -> dict[tuple[str, str], int]:
    """SLA clocks ever breached, by (workflow, clock kind), test cases left out (one query; for
    /metrics, apps.ops)."""
    rows = (
        SlaClock.objects.filter(breached_at__isnull=False, case__is_test=False)
        .order_by()
        .values_list("case__workflow_key", "kind")
        .annotate(n=Count("pk"))
    )
    return {(workflow, kind): n for workflow, kind, n in rows}


def clocks_for_metrics(*, cases, moment_from=None, moment_to=None, now=None) -> list[dict]:
    """The SLA clocks of `cases` (a Case queryset) met or breached in [from, to), for
    apps.metrics: {case_id, task_id, kind, met, breached, at, escalations}.

    A clock ends when its task ends (decided or cancelled), for a whole-case clock when its case
    closes, or when the sweeper stopped it. It is *breached* when the sweeper marked it so or it
    ended (or is still running) past its due moment, counted at the breach (the mark, else the
    due moment); it is *met* when it ended before its due moment unbreached, counted at its end.
    Clocks still running in time count as neither. `escalations`: the levels other than the breach
    that fired, due in the range, as [(level number from 1, action)]; a clock that is neither met
    nor breached in the range is listed for its escalations alone. One query.
    """
    from .clocks import BREACH, when

    now = now or timezone.now()
    clocks = SlaClock.objects.filter(case_id__in=cases.values("pk"))
    if moment_from is not None or moment_to is not None:
        moments = ("task__finished", "case__finished", "stopped_at", "due", "breached_at")
        near = Q()
        for moment in moments:
            bounded = Q(**{f"{moment}__isnull": False})
            if moment_from is not None:
                bounded &= Q(**{f"{moment}__gte": moment_from})
            if moment_to is not None:
                bounded &= Q(**{f"{moment}__lt": moment_to})
            near |= bounded
        fired = Q(next_level__gt=0) & (Q() if moment_to is None else Q(started__lt=moment_to))
        clocks = clocks.filter(near | fired)
    rows = clocks.order_by().values_list(
        "case_id",
        "task_id",
        "kind",
        "due",
        "breached_at",
        "stopped_at",
        "task__finished",
        "case__finished",
        "levels",
        "next_level",
    )

    def in_range(moment) -> bool:
        return (moment_from is None or moment >= moment_from) and (moment_to is None or moment < moment_to)

    found = []
    for case_id, task_id, kind, due, breached_at, stopped_at, task_end, case_end, levels, next_level in rows:
        end = (task_end if task_id else case_end) or stopped_at
        late_at = breached_at or (due if due is not None and due < (end or now) else None)
        at = late_at or end
        counted = at is not None and in_range(at)
        # Levels fire in order, so the k-th escalation fired is level k of the clock.
        fired = [level for level in (levels or [])[:next_level] if level.get("action") != BREACH]
        escalations = [
            (number, level.get("action")) for number, level in enumerate(fired, start=1) if in_range(when(level))
        ]
        if not counted and not escalations:
            continue
        found.append(
            {
                "case_id": case_id,
                "task_id": task_id,
                "kind": kind,
                "met": counted and late_at is None,
                "breached": counted and late_at is not None,
                "at": at,
                "escalations": escalations,
            }
        )
    return found
