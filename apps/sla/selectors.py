"""Reads about business calendars: which calendar a workflow runs on, who may edit calendars."""

from collections import defaultdict
from datetime import time

from django.db import connections
from django.db.models import Case, Count, DateTimeField, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.cases.reporting import case_copies_of
from apps.core.percentiles import in_database
from apps.definitions.accessors import Spec, spec_of
from apps.org import roles
from apps.org.selectors import user_has_role

from .models import BusinessCalendar, ClockKind, ClockResult, SlaClock

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
    """SLA clocks ever breached, by (workflow, clock kind) (one query; for /metrics, apps.ops). A
    test case has no clocks (the SLA receivers start none)."""
    rows = (
        SlaClock.objects.filter(breached_at__isnull=False)
        .order_by()
        .values_list("workflow_key", "kind")
        .annotate(n=Count("pk"))
    )
    return {(workflow, kind): n for workflow, kind, n in rows}


def _in_range(field: str, moment_from, moment_to) -> Q:
    bounded = Q(**{f"{field}__isnull": False})
    if moment_from is not None:
        bounded &= Q(**{f"{field}__gte": moment_from})
    if moment_to is not None:
        bounded &= Q(**{f"{field}__lt": moment_to})
    return bounded


def _clocks_of(*, cases=None, workflows=None, version=None):
    """The clocks of `cases` (a Case queryset) if given, else of the `workflows` named (None: all),
    of one `version` if given: from the workflow and version each clock copies from its case, so
    without a join. A test case has no clocks (the SLA receivers start none). Unordered."""
    return case_copies_of(SlaClock.objects.all(), cases=cases, workflows=workflows, version=version)


def _counted_clocks(*, cases, workflows, version, moment_from, moment_to, now) -> list:
    """Querysets of the clocks of `cases`, else of the `workflows` and `version` (`_clocks_of`),
    met or breached in [from, to), each annotated with `breached` (True/False) and ready for
    values() (the callers UNION ALL them):

    - settled: the clocks that carry when they count and how (`counted_at`, `result`): those of
      closed cases, of people's tasks decided or cancelled, and those the sweeper marked breached
      (clocks.clocks_end, clocks.clock_task_ended, the sweeper): an index range scan
      (sla_clock_counted_at_cover, index-only on PostgreSQL, the workflow and version included),
      whatever the length of the history;
    - running: the other clocks but a wait step's, classified as they are read
      (sla_clock_running_due holds them): running (unless the sweeper stopped them) past their
      due moment: breached at it; still in time: neither. Nothing is joined;
    - waiting: a wait step's clocks not settled, which end unannounced with their task (the
      other side answered): the only ones read with their task, met or breached as it ended.
    """
    from .clocks import clock_late_moment

    now = now or timezone.now()
    narrowed = _clocks_of(cases=cases, workflows=workflows, version=version)
    settled = narrowed.filter(_in_range("counted_at", moment_from, moment_to)).annotate(
        breached=Case(When(result=ClockResult.BREACHED, then=Value(True)), default=Value(False))
    )
    unsettled = narrowed.filter(counted_at__isnull=True)
    found = [settled]
    for clocks, end in (
        (unsettled.exclude(kind=ClockKind.WAIT), F("stopped_at")),
        (unsettled.filter(kind=ClockKind.WAIT), Coalesce(F("task__finished"), F("stopped_at"))),
    ):
        late = clock_late_moment(end, now)
        found.append(
            clocks.annotate(late_at=late, moment=Coalesce(late, end, output_field=DateTimeField()))
            .filter(_in_range("moment", moment_from, moment_to))
            .annotate(breached=Case(When(late_at__isnull=False, then=Value(True)), default=Value(False)))
        )
    return found


def clock_counts_for_metrics(
    *, cases=None, workflows=None, version=None, moment_from=None, moment_to=None, now=None, by_stage=False
) -> dict:
    """SLA clocks met and breached in [from, to) of `cases` (a Case queryset), else of the
    `workflows` and `version` named (`_clocks_of`): {met, breached},
    or with `by_stage` {stage: {met, breached}} (stage: an approval stage's key, "rework",
    "case"). Clocks still running in time count as neither. One query (the parts of
    `_counted_clocks`, UNION ALL)."""
    found: dict = defaultdict(lambda: {"met": 0, "breached": 0})
    group = ("stage", "breached") if by_stage else ("breached",)
    first, *more = [
        clocks.values(*group).annotate(n=Count("pk")).values_list(*group, "n")
        for clocks in _counted_clocks(
            cases=cases, workflows=workflows, version=version, moment_from=moment_from, moment_to=moment_to, now=now
        )
    ]
    for *grouped_by, breached, n in first.union(*more, all=True):
        found[grouped_by[0] if by_stage else ""]["breached" if breached else "met"] += n
    if not by_stage:
        return dict(found[""])
    return {stage: dict(numbers) for stage, numbers in sorted(found.items())}


# The fired levels of the clocks the query `c` selects, numbered among the clock's non-breach
# levels as escalations_for_metrics numbers them (PostgreSQL: the levels are jsonb).
_FIRED_LEVELS = """
WITH c(id, case_id, levels, next_level) AS ({clocks})
SELECT case_id, number, action FROM (
    SELECT c.case_id, l.level ->> 'action' AS action, (l.level ->> 'at')::timestamptz AS at,
           ROW_NUMBER() OVER (PARTITION BY c.id ORDER BY l.n) AS number
    FROM c CROSS JOIN LATERAL jsonb_array_elements(
        CASE WHEN jsonb_typeof(c.levels) = 'array' THEN c.levels ELSE '[]'::jsonb END
    ) WITH ORDINALITY AS l(level, n)
    WHERE l.n <= c.next_level AND (l.level ->> 'action') IS DISTINCT FROM %s
) fired WHERE TRUE{since}{until}
"""


def _escalations_in_database(clocks, moment_from, moment_to) -> list[tuple[int, int, str]]:
    """escalations_for_metrics on PostgreSQL: the levels are unpacked and their moments compared
    by the database, so no clock's levels reach Python (one query)."""
    from .clocks import BREACH

    sql, params = clocks.values_list("id", "case_id", "levels", "next_level").query.sql_with_params()
    statement = _FIRED_LEVELS.format(
        clocks=sql,
        since=" AND at >= %s" if moment_from is not None else "",
        until=" AND at < %s" if moment_to is not None else "",
    )
    arguments = [*params, BREACH, *(m for m in (moment_from, moment_to) if m is not None)]
    with connections[clocks.db].cursor() as cursor:
        cursor.execute(statement, arguments)
        return [(case_id, number, action) for case_id, number, action in cursor.fetchall()]


def clock_cases_for_metrics(
    *, cases=None, workflows=None, version=None, moment_from=None, moment_to=None, now=None
) -> dict:
    """{(stage, "met" or "breached"): sorted case ids} of the clocks `clock_counts_for_metrics`
    counts (the cases behind each number), narrowed alike. One query."""
    found: dict = defaultdict(set)
    first, *more = [
        clocks.values_list("stage", "breached", "case_id")
        for clocks in _counted_clocks(
            cases=cases, workflows=workflows, version=version, moment_from=moment_from, moment_to=moment_to, now=now
        )
    ]
    for stage, breached, case_id in first.union(*more, all=True):
        found[(stage, ClockResult.BREACHED if breached else ClockResult.MET)].add(case_id)
    return {key: sorted(ids) for key, ids in found.items()}


def escalations_for_metrics(
    *, cases=None, workflows=None, version=None, moment_from=None, moment_to=None
) -> list[tuple[int, int, str]]:
    """The escalation levels (all but the breach) of the clocks of `cases`, else of the
    `workflows` and `version` named (`_clocks_of`), that fired, due in
    [from, to), running clocks or not: [(case id, level number from 1, action)]. Levels fire in
    order, so the k-th level fired is level k; a clock whose last fired level (`last_fired_at`,
    indexed) is due before `from` has none in the range. One query; on PostgreSQL the database
    unpacks the levels."""
    clocks = _clocks_of(cases=cases, workflows=workflows, version=version).filter(next_level__gt=0)
    if moment_from is not None:
        clocks = clocks.filter(last_fired_at__gte=moment_from)
    if moment_to is not None:
        clocks = clocks.filter(started__lt=moment_to)
    if in_database(clocks):
        return _escalations_in_database(clocks, moment_from, moment_to)
    return _escalations_in_python(clocks, moment_from, moment_to)


def _escalations_in_python(clocks, moment_from, moment_to) -> list[tuple[int, int, str]]:
    """escalations_for_metrics elsewhere than on PostgreSQL: each clock's levels read and
    compared here."""
    from .clocks import BREACH, when

    found = []
    for case_id, levels, next_level in clocks.values_list("case_id", "levels", "next_level"):
        fired = [level for level in (levels or [])[:next_level] if level.get("action") != BREACH]
        for number, level in enumerate(fired, start=1):
            moment = when(level)
            if (moment_from is None or moment >= moment_from) and (moment_to is None or moment < moment_to):
                found.append((case_id, number, level.get("action")))
    return found
