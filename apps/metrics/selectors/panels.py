"""The dashboards' panels: each a plain dict of numbers and, when asked (`with_case_ids`), the
`case_ids` behind each so a page can link through to the cases. Same cases counted as in
`summary` (module docstring there).
"""

from collections import defaultdict

from django.db import connections
from django.db.models import Count, DateField, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from apps.automation.selectors import RECURRING_COUNT, step_failures_counted, step_failures_for_metrics
from apps.cases.models import CaseState
from apps.cases.reporting import approval_latency_by_stage, approvals_decided
from apps.core.percentiles import in_database, rounded
from apps.sla.models import ClockResult
from apps.sla.selectors import clock_cases_for_metrics, clock_counts_for_metrics, escalations_for_metrics

from ..filters import MetricsFilter
from ..policy import MetricsScope
from .base import BusinessClock, closed_in, copied_scope, hours, open_during, open_now, scoped_cases, spread, week_of
from .summary import pending_approval_rows, pending_by_holder, pending_counted, ratio, stage_label

WAITING_ON = {
    CaseState.APPROVAL: "person",
    CaseState.ROUTING: "system",
    CaseState.WAITING: "system",
    CaseState.REWORK: "requester",
    CaseState.EXCEPTION: "exception",
}
# Age buckets of open cases, in business hours (a working day is 8 of them on the default calendar).
AGE_BUCKETS = [
    ("under 1 day", 0, 8),
    ("1-3 days", 8, 24),
    ("3-5 days", 24, 40),
    ("5-10 days", 40, 80),
    ("10 days or more", 80, None),
]
OLDEST_LISTED = 10


def _grouped(pairs, name: str, with_case_ids: bool) -> list[dict]:
    """[(key, case_id)] -> [{name: key, count, case_ids?}], by key."""
    groups: dict = defaultdict(list)
    for key, case_id in pairs:
        groups[key].append(case_id)
    return [
        {name: key, "count": len(ids), **_ids(with_case_ids, "case_ids", ids)} for key, ids in sorted(groups.items())
    ]


def _counted(pairs, name: str) -> list[dict]:
    """[(key, n)] -> [{name: key, count}], by key (counts added up per key)."""
    groups: dict = defaultdict(int)
    for key, n in pairs:
        groups[key] += n
    return [{name: key, "count": n} for key, n in sorted(groups.items())]


def _rows(cases, fields: tuple, with_case_ids: bool) -> list[tuple]:
    """[(*fields, x)] of `cases`: x a case's id per row with_case_ids, else how many cases share
    those values (counted by the database: GROUP BY)."""
    if with_case_ids:
        return list(cases.values_list(*fields, "pk"))
    return list(cases.values_list(*fields).annotate(n=Count("pk")).values_list(*fields, "n"))


def _tallied(pairs, name: str, with_case_ids: bool) -> list[dict]:
    """[(key, x)] of `_rows` -> [{name: key, count, case_ids?}], by key."""
    return _grouped(pairs, name, True) if with_case_ids else _counted(pairs, name)


def _ids(wanted: bool, key: str, ids) -> dict:
    """{key: sorted ids} when the cases behind the numbers are wanted, else nothing."""
    return {key: sorted(set(ids))} if wanted else {}


def _moments(metrics_filter: MetricsFilter) -> dict:
    return {"moment_from": metrics_filter.moment_from, "moment_to": metrics_filter.moment_to}


# Every panel takes `with_case_ids`: False (the dashboard, the CSV) gives the numbers alone,
# counted and grouped by the database where it can; True (the drill-down page) adds the cases
# behind each number, read from the same rows. The numbers are the same either way.


def wip_panel(*, scope: MetricsScope, metrics_filter: MetricsFilter, with_case_ids=False) -> dict:
    """Open cases by stage and by whom they wait on: a person, a system, the requester, or an
    operator (exception). One query."""
    rows = _rows(open_now(scoped_cases(scope, metrics_filter)), ("state", "stage"), with_case_ids)
    by_stage = _tallied(((stage_label(state, stage), x) for state, stage, x in rows), "stage", with_case_ids)
    return {
        "open": sum(g["count"] for g in by_stage),
        "by_stage": by_stage,
        "by_waiting_on": _tallied(
            ((WAITING_ON.get(state, "system"), x) for state, _, x in rows), "waiting_on", with_case_ids
        ),
    }


def aging_panel(*, scope: MetricsScope, metrics_filter: MetricsFilter, now=None, with_case_ids=False) -> dict:
    """Open cases by age in business hours (each on its version's SLA calendar), in AGE_BUCKETS,
    and the OLDEST_LISTED oldest (ties: the earlier start, then the lower id).

    The numbers alone (the dashboard, the CSV) are counted by the database: a bucket's cases are
    those started between two moments per calendar (BusinessHoursIndex.latest_start), so the
    work does not grow with the number of open cases. One query for the versions and one per
    calendar, one for the counts, one per calendar for the oldest. With the cases behind each
    number (the drill-down page), every open case is read and aged: two queries plus one per
    calendar."""
    now = now or timezone.now()
    cases = open_now(scoped_cases(scope, metrics_filter))
    if not with_case_ids:
        return _aging_counted(cases, now)
    rows = list(cases.values_list("pk", "workflow_key", "version_id", "started_at", "state", "stage"))
    clock = BusinessClock(row[2] for row in rows)
    # (business hours, start, case id, row), oldest first
    aged = sorted(
        ((clock.hours(row[2], row[3], now), row[3], row[0], row) for row in rows),
        key=lambda item: (-item[0], item[1], item[2]),
    )
    buckets = []
    for label, low, high in AGE_BUCKETS:
        ids = [pk for age, _, pk, _ in aged if age >= low and (high is None or age < high)]
        buckets.append({"bucket": label, "min_hours": low, "max_hours": high, "count": len(ids), "case_ids": ids})
    oldest = [_oldest_row(row, age, now) for age, _, _, row in aged[:OLDEST_LISTED]]
    return {"open": len(aged), "buckets": buckets, "oldest": oldest}


def _oldest_row(row, age: float, now) -> dict:
    pk, workflow, _, started, state, stage = row
    return {
        "case_id": pk,
        "workflow": workflow,
        "stage": stage_label(state, stage),
        "business_hours": round(age, 2),
        "hours": round(hours(started, now), 2),
    }


def _aging_counted(cases, now) -> dict:
    """aging_panel's numbers without the cases behind them, counted by the database."""
    clock = BusinessClock(cases.values("version_id"))
    by_calendar = clock.versions_by_calendar()
    counts = {}
    for number, (_, low, high) in enumerate(AGE_BUCKETS):
        started_then = Q(pk__in=[])
        for index, version_ids in by_calendar:
            part = Q(version_id__in=version_ids)
            if low:
                part &= Q(started_at__lte=index.latest_start(now, low))
            if high is not None:
                part &= Q(started_at__gt=index.latest_start(now, high))
            started_then |= part
        counts[f"bucket_{number}"] = Count("pk", filter=started_then)
    numbers = cases.aggregate(open=Count("pk"), **counts)
    buckets = [
        {"bucket": label, "min_hours": low, "max_hours": high, "count": numbers[f"bucket_{number}"]}
        for number, (label, low, high) in enumerate(AGE_BUCKETS)
    ]
    # On one calendar the oldest in business hours are the earliest started.
    candidates = []
    for _, version_ids in by_calendar:
        earliest = cases.filter(version_id__in=version_ids).order_by("started_at", "pk")[:OLDEST_LISTED]
        for row in earliest.values_list("pk", "workflow_key", "version_id", "started_at", "state", "stage"):
            candidates.append((clock.hours(row[2], row[3], now), row[3], row[0], row))
    candidates.sort(key=lambda item: (-item[0], item[1], item[2]))
    oldest = [_oldest_row(row, age, now) for age, _, _, row in candidates[:OLDEST_LISTED]]
    return {"open": numbers["open"], "buckets": buckets, "oldest": oldest}


def approvals_panel(*, scope: MetricsScope, metrics_filter: MetricsFilter, now=None, with_case_ids=False) -> dict:
    """Approvals pending now by person and by role's queue (count, oldest, cases), and the
    latency of the approvals decided in the range per stage (wall-clock hours)."""
    now = now or timezone.now()
    if with_case_ids:
        holders = pending_by_holder(pending_approval_rows(scope, metrics_filter), now=now)
    else:
        holders = pending_counted(scope, metrics_filter, now=now)
    latency_rows = []
    if scope.sees_all or scope.workflows:
        cases = open_during(scoped_cases(scope, metrics_filter), metrics_filter)
        window = {"finished_from": metrics_filter.moment_from, "finished_to": metrics_filter.moment_to}
        if with_case_ids:
            latency: dict[str, list] = defaultdict(list)
            for task in approvals_decided(cases=cases, **window):
                latency[task["stage"]].append((hours(task["created"], task["finished"]), task["case_id"]))
            latency_rows = [
                {"stage": stage, **spread(h for h, _ in values), "case_ids": sorted({pk for _, pk in values})}
                for stage, values in sorted(latency.items())
            ]
        else:
            latency_rows = [
                {"stage": stage, **numbers}
                for stage, numbers in sorted(
                    approval_latency_by_stage(**copied_scope(scope, metrics_filter), **window).items()
                )
            ]
    return {
        "by_person": [{k: v for k, v in g.items() if k != "role"} for g in holders if g["owner"]],
        "by_role": [{k: v for k, v in g.items() if k != "owner"} for g in holders if not g["owner"]],
        "latency": latency_rows,
    }


def _step_failures(cases, metrics_filter: MetricsFilter, with_case_ids: bool) -> list[dict]:
    """The step failures of `cases` in the range as {step_key, step_name, category, week, open,
    count} and, with_case_ids, `case_id`: one row per failure (count 1) when the cases behind the
    numbers are wanted, else counted by the database (a row per group, count its failures)."""
    if not with_case_ids:
        return step_failures_counted(cases=cases, **_moments(metrics_filter))
    return [
        {**failure, "week": week_of(failure["at"]), "count": 1}
        for failure in step_failures_for_metrics(cases=cases, **_moments(metrics_filter))
    ]


def exceptions_panel(*, scope: MetricsScope, metrics_filter: MetricsFilter, with_case_ids=False) -> dict:
    """Step failures in the range: by category (open vs repaired), per week and category, and the
    recurring ones (the same step and category RECURRING_COUNT times or more in the range:
    probably a rule missing upstream). One query. The cases behind "open" are those whose
    failure still waits, behind "repaired" those with one repaired (`open_case_ids`,
    `repaired_case_ids`)."""
    cases = open_during(scoped_cases(scope, metrics_filter), metrics_filter)
    failures = _step_failures(cases, metrics_filter, with_case_ids)

    def tally(key_of) -> list[dict]:
        groups: dict = defaultdict(list)
        for failure in failures:
            groups[key_of(failure)].append(failure)
        return [
            (
                key,
                {
                    "count": sum(f["count"] for f in items),
                    "open": sum(f["count"] for f in items if f["open"]),
                    "repaired": sum(f["count"] for f in items if not f["open"]),
                    **_ids(with_case_ids, "case_ids", (f["case_id"] for f in items)),
                    **_ids(with_case_ids, "open_case_ids", (f["case_id"] for f in items if f["open"])),
                    **_ids(with_case_ids, "repaired_case_ids", (f["case_id"] for f in items if not f["open"])),
                },
            )
            for key, items in sorted(groups.items())
        ]

    by_category = [{"category": category, **counts} for category, counts in tally(lambda f: f["category"])]
    by_week = [
        {"week": week.isoformat(), "category": category, **counts}
        for (week, category), counts in tally(lambda f: (f["week"], f["category"]))
    ]
    recurring = [
        {"step_key": step, "step_name": name, "category": category, **counts}
        for (step, name, category), counts in tally(lambda f: (f["step_key"], f["step_name"], f["category"]))
        if counts["count"] >= RECURRING_COUNT
    ]
    return {"by_category": by_category, "by_week": by_week, "recurring": recurring}


# The four spreads of closed cases in one scan (GROUPING SETS): all of them, per week of closing,
# per version, per outcome; `c` is the closed cases' query (week, version, outcome, both cycles).
_CYCLE_SPREADS = """
WITH c(week, version_number, outcome, cycle, business) AS ({closed})
SELECT GROUPING(week), GROUPING(version_number), GROUPING(outcome),
       week::date, version_number, outcome, COUNT(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY cycle), percentile_cont(0.9) WITHIN GROUP (ORDER BY cycle),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY business), percentile_cont(0.9) WITHIN GROUP (ORDER BY business)
FROM c GROUP BY GROUPING SETS ((), (week), (version_number), (outcome))
"""


def _cycle_spreads_in_database(closed, week) -> dict:
    """{(kind, key): {p50, p90, count, business_p50, business_p90}} of closed cases, for kind ""
    (all of them, key ""), "week" (its Monday, ISO), "version" and "outcome": one statement that
    reads the range's closed cases once and groups them four ways, PostgreSQL computing the
    percentiles (no case reaches Python)."""
    rows = closed.annotate(week=week).values_list(
        "week", "version_number", "outcome", "cycle_hours", "cycle_business_hours"
    )
    sql, params = rows.query.sql_with_params()
    with connections[closed.db].cursor() as cursor:
        cursor.execute(_CYCLE_SPREADS.format(closed=sql), params)
        found = {}
        for by_week, by_version, by_outcome, monday, version, outcome, count, *spreads in cursor.fetchall():
            if not by_week:
                key = ("week", monday.isoformat())
            elif not by_version:
                key = ("version", str(version))
            elif not by_outcome:
                key = ("outcome", outcome)
            else:
                key = ("", "")
            p50, p90, business_p50, business_p90 = (rounded(v) for v in spreads)
            found[key] = {
                "p50": p50,
                "p90": p90,
                "count": count,
                "business_p50": business_p50,
                "business_p90": business_p90,
            }
    return found


def cycle_time_panel(*, scope: MetricsScope, metrics_filter: MetricsFilter, with_case_ids=False) -> dict:
    """Cycle time (start to close) of the cases closed in the range: p50/p90 overall in wall-clock
    and business hours, and per week of closing, per version, per outcome (wall clock)."""
    # The week of closing (its Monday, local time) from the database: as week_of, without a
    # time-zone conversion per row in Python.
    week = TruncWeek("closed_at", tzinfo=timezone.get_current_timezone(), output_field=DateField())
    closed = closed_in(scoped_cases(scope, metrics_filter), metrics_filter)
    if in_database(closed) and not with_case_ids:
        spreads = _cycle_spreads_in_database(closed, week)
        overall = spreads.get(
            ("", ""), {"p50": None, "p90": None, "count": 0, "business_p50": None, "business_p90": None}
        )

        def listed(kind: str, key_name: str, convert=str) -> list[dict]:
            rows = [(convert(key), numbers) for (k, key), numbers in spreads.items() if k == kind]
            return [{key_name: key, "p50": n["p50"], "p90": n["p90"], "count": n["count"]} for key, n in sorted(rows)]

        return {
            "overall": overall,
            "by_week": listed("week", "week"),
            "by_version": listed("version", "version", int),
            "by_outcome": listed("outcome", "outcome"),
        }
    rows = list(
        closed.annotate(week=week).values_list(
            "pk", "cycle_hours", "cycle_business_hours", "outcome", "version_number", "week"
        )
    )
    # Both cycle times were written on the case when it closed (Case.save, apps.sla at close).
    cases = [
        {
            "case_id": pk,
            "hours": cycle,
            "business_hours": business,
            "week": monday.isoformat(),
            "outcome": outcome,
            "version": number,
        }
        for pk, cycle, business, outcome, number, monday in rows
    ]

    def per(key: str) -> list[dict]:
        groups: dict = defaultdict(list)
        for case in cases:
            groups[case[key]].append(case)
        return [
            {
                key: value,
                **spread(c["hours"] for c in items),
                **_ids(with_case_ids, "case_ids", (c["case_id"] for c in items)),
            }
            for value, items in sorted(groups.items())
        ]

    business = spread(c["business_hours"] for c in cases if c["business_hours"] is not None)
    return {
        "overall": {
            **spread(c["hours"] for c in cases),
            "business_p50": business["p50"],
            "business_p90": business["p90"],
            **_ids(with_case_ids, "case_ids", (c["case_id"] for c in cases)),
        },
        "by_week": per("week"),
        "by_version": per("version"),
        "by_outcome": per("outcome"),
    }


def rework_panel(*, scope: MetricsScope, metrics_filter: MetricsFilter, with_case_ids=False) -> dict:
    """Of the cases closed in the range: how often each went back to its requester, and the share
    returned at least once; and the repairs per automated step (failures in the range an operator
    has dealt with). Three queries."""
    cases = scoped_cases(scope, metrics_filter)
    closed = closed_in(cases, metrics_filter)
    per_count = _tallied(_rows(closed, ("returned_count",), with_case_ids), "returns", with_case_ids)
    returned = [g for g in per_count if g["returns"]]
    n_closed, n_returned = sum(g["count"] for g in per_count), sum(g["count"] for g in returned)
    repaired = [
        f for f in _step_failures(open_during(cases, metrics_filter), metrics_filter, with_case_ids) if not f["open"]
    ]
    if with_case_ids:
        repairs = _grouped(((f["step_key"], f["case_id"]) for f in repaired), "step_key", True)
    else:
        repairs = _counted(((f["step_key"], f["count"]) for f in repaired), "step_key")
    return {
        "closed": n_closed,
        "returned": {
            "count": n_returned,
            **_ids(with_case_ids, "case_ids", (pk for g in returned for pk in g["case_ids"])),
        },
        "rate": ratio(n_returned, n_closed),
        "returns_per_case": per_count,
        "repairs_by_step": [{"step_key": g.pop("step_key"), "repairs": g.pop("count"), **g} for g in repairs],
    }


def sla_panel(*, scope: MetricsScope, metrics_filter: MetricsFilter, now=None, with_case_ids=False) -> dict:
    """SLA clocks met and breached in the range, in total and by stage (an approval stage's key,
    "rework" for the requester's clock, "case" for a whole-case clock), and the escalations fired
    (due) in the range by level: (1, "remind"), (2, "escalate"), ... of any clock, running or not.
    Two queries (apps.sla.selectors), a third for the cases behind the numbers: `case_ids` (cases
    with a clock met) and `breached_case_ids` per stage. The clocks are narrowed by the workflow
    and version they copy from their case (`copied_scope`)."""
    clocks, moments = copied_scope(scope, metrics_filter), _moments(metrics_filter)
    by_stage = clock_counts_for_metrics(**clocks, now=now, by_stage=True, **moments)
    behind = clock_cases_for_metrics(**clocks, now=now, **moments) if with_case_ids else {}
    escalations: dict = defaultdict(set)
    counts: dict = defaultdict(int)
    for case_id, level, action in escalations_for_metrics(**clocks, **moments):
        escalations[(level, action)].add(case_id)
        counts[(level, action)] += 1
    return {
        "met": sum(g["met"] for g in by_stage.values()),
        "breached": sum(g["breached"] for g in by_stage.values()),
        "by_stage": [
            {
                "stage": stage,
                "met": g["met"],
                "breached": g["breached"],
                **_ids(with_case_ids, "case_ids", behind.get((stage, ClockResult.MET), [])),
                **_ids(with_case_ids, "breached_case_ids", behind.get((stage, ClockResult.BREACHED), [])),
            }
            for stage, g in sorted(by_stage.items())
        ],
        "escalations": [
            {
                "level": level,
                "action": action,
                "count": counts[(level, action)],
                **_ids(with_case_ids, "case_ids", ids),
            }
            for (level, action), ids in sorted(escalations.items())
        ],
    }
