"""What every metric shares: the cases it may count, percentiles, hours, weeks, calendars.

Percentiles are continuous (apps.core.percentiles: percentile_cont's definition, the same on
SQLite and PostgreSQL). p50 of [1, 2, 3, 4] is 2.5.
"""

from datetime import date, datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.cases.models import Case
from apps.cases.reporting import case_had_role_queue
from apps.core.percentiles import percentile
from apps.definitions.accessors import spec_of
from apps.definitions.models import DefinitionVersion
from apps.sla.hours_index import BusinessHoursIndex
from apps.sla.selectors import calendar_for

from ..filters import MetricsFilter
from ..policy import MetricsScope


def real_cases(metrics_filter: MetricsFilter) -> QuerySet[Case]:
    """Cases of the filter's workflow, version, team (the requester's department) and role (an
    approval task in its queue), test cases never (no scope applied); unordered (the model's
    newest-first order would sort every row a metric reads). The one place the filter applies."""
    cases = Case.objects.filter(is_test=False).order_by()
    if metrics_filter.workflow:
        cases = cases.filter(workflow_key=metrics_filter.workflow)
    if metrics_filter.version:
        cases = cases.filter(version_number=metrics_filter.version)
    if metrics_filter.team is not None:
        cases = cases.filter(requester__profile__department_id=metrics_filter.team)
    if metrics_filter.role:
        cases = cases.filter(case_had_role_queue(metrics_filter.role))
    return cases


def scoped_cases(scope: MetricsScope, metrics_filter: MetricsFilter) -> QuerySet[Case]:
    """The cases whose numbers the person may see whole (their workflows, or all)."""
    cases = real_cases(metrics_filter)
    if not scope.sees_all:
        cases = cases.filter(workflow_key__in=sorted(scope.workflows))
    return cases


def started_in(cases: QuerySet[Case], metrics_filter: MetricsFilter) -> QuerySet[Case]:
    """Cases started in the range (for counts of started cases and the exception rate)."""
    if metrics_filter.moment_from:
        cases = cases.filter(started_at__gte=metrics_filter.moment_from)
    if metrics_filter.moment_to:
        cases = cases.filter(started_at__lt=metrics_filter.moment_to)
    return cases


def closed_in(cases: QuerySet[Case], metrics_filter: MetricsFilter) -> QuerySet[Case]:
    """Cases closed in the range (cycle time, outcomes, rework)."""
    cases = cases.filter(outcome__isnull=False, closed_at__isnull=False)
    if metrics_filter.moment_from:
        cases = cases.filter(closed_at__gte=metrics_filter.moment_from)
    if metrics_filter.moment_to:
        cases = cases.filter(closed_at__lt=metrics_filter.moment_to)
    return cases


def open_during(cases: QuerySet[Case], metrics_filter: MetricsFilter) -> QuerySet[Case]:
    """Cases open at some moment of the range: started before its end, and still open or closed
    at or after its start. Whatever a case leaves behind in the range (a decision, a clock that
    counts, a step failure, an escalation) happens while it is open, so these are the only cases
    whose tasks, clocks and steps a ranged metric needs: the database reads them through the
    case_started_at and case_closed_at indexes instead of every case of the history."""
    if metrics_filter.moment_from:
        cases = cases.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=metrics_filter.moment_from))
    if metrics_filter.moment_to:
        cases = cases.filter(started_at__lt=metrics_filter.moment_to)
    return cases


def copied_scope(scope: MetricsScope, metrics_filter: MetricsFilter) -> dict:
    """How the rows that copy their case's workflow and version are narrowed: the approval
    decisions of the range (apps.cases.reporting approval_latency_by_stage) and the SLA clocks
    (apps.sla.selectors). By the workflows and version they copy, without reading a case, unless
    the filter names a team or a role, which only the cases know: then by the cases open during
    the range. Either way the same rows: what a case leaves in the range (a decision, a clock
    that counts, a level that fires) it leaves while open, and no test case leaves any (a test
    case's decision is marked `is_test`; it starts no clock)."""
    if metrics_filter.team is not None or metrics_filter.role:
        return {"cases": open_during(scoped_cases(scope, metrics_filter), metrics_filter)}
    workflows = None if scope.sees_all else set(scope.workflows)
    if metrics_filter.workflow:
        workflows = {metrics_filter.workflow} if workflows is None else workflows & {metrics_filter.workflow}
    return {"workflows": None if workflows is None else sorted(workflows), "version": metrics_filter.version}


def open_now(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Cases open now, whatever the date range."""
    return cases.filter(outcome__isnull=True, closed_at__isnull=True)


def spread(values) -> dict:
    """{p50, p90, count} of a list of hours."""
    values = list(values)
    return {"p50": percentile(values, 0.5), "p90": percentile(values, 0.9), "count": len(values)}


def hours(start: datetime, end: datetime) -> float:
    return max((end - start).total_seconds(), 0.0) / 3600


def week_of(moment: datetime) -> date:
    """The Monday of the moment's week, in the installation's time zone."""
    day = timezone.localtime(moment).date()
    return day - timedelta(days=day.weekday())


class BusinessClock:
    """Business hours between two moments on each version's SLA calendar (the spec's calendar,
    else the organisation's default). One query for the versions (`version_ids`: ids, or a
    queryset of them read as a subquery), one per calendar they name. Each calendar's days are
    walked once (apps.sla.hours_index), however many cases ask."""

    def __init__(self, version_ids):
        self.calendars, by_name = {}, {}
        ids = version_ids if isinstance(version_ids, QuerySet) else set(version_ids)
        for version in DefinitionVersion.objects.filter(pk__in=ids):
            name = spec_of(version).calendar or ""
            if name not in by_name:
                by_name[name] = BusinessHoursIndex(calendar_for(definition=version))
            self.calendars[version.pk] = by_name[name]

    def hours(self, version_id: int, start: datetime, end: datetime) -> float:
        index = self.calendars.get(version_id)
        if index is None:
            return hours(start, end)
        return index.hours(start, end)

    def versions_by_calendar(self) -> list[tuple[BusinessHoursIndex, list[int]]]:
        """[(a calendar's index, the ids of the versions on it)]."""
        found: dict[int, tuple] = {}
        for version_id, index in sorted(self.calendars.items()):
            found.setdefault(id(index), (index, []))[1].append(version_id)
        return list(found.values())


def workflow_choices(*, scope: MetricsScope) -> list[dict]:
    """The workflows a person's filter offers: {key, name, versions (published numbers, newest
    first)}, by name. One query."""
    from apps.definitions.models import VersionStatus

    versions = DefinitionVersion.objects.filter(status=VersionStatus.PUBLISHED).select_related("definition")
    if not scope.sees_all:
        versions = versions.filter(definition__key__in=sorted(scope.workflows))
    found: dict[str, dict] = {}
    for version in versions.order_by("definition__name", "-number"):
        entry = found.setdefault(
            version.definition.key, {"key": version.definition.key, "name": version.definition.name, "versions": []}
        )
        entry["versions"].append(version.number)
    return list(found.values())
