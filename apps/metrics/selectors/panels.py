"""The dashboards' panels: each a plain dict, every number with the `case_ids` behind it so a page
can link through to the cases. Same cases counted as in `summary` (module docstring there).
"""

from collections import defaultdict

from django.utils import timezone

from apps.automation.selectors import RECURRING_COUNT, step_failures_for_metrics
from apps.cases.models import CaseState
from apps.cases.reporting import approvals_decided, returns_per_case, task_stages
from apps.sla.selectors import clocks_for_metrics

from ..filters import MetricsFilter
from ..policy import MetricsScope
from .base import BusinessClock, closed_in, hours, open_now, scoped_cases, spread, week_of
from .summary import pending_approval_rows, pending_by_holder, ratio, stage_label

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


def _grouped(pairs, name: str) -> list[dict]:
    """[(key, case_id)] -> [{name: key, count, case_ids}], by key."""
    groups: dict = defaultdict(list)
    for key, case_id in pairs:
        groups[key].append(case_id)
    return [{name: key, "count": len(ids), "case_ids": sorted(ids)} for key, ids in sorted(groups.items())]


def _moments(metrics_filter: MetricsFilter) -> dict:
    return {"moment_from": metrics_filter.moment_from, "moment_to": metrics_filter.moment_to}


def wip_panel(*, scope: MetricsScope, metrics_filter: MetricsFilter) -> dict:
    """Open cases by stage and by whom they wait on: a person, a system, the requester, or an
    operator (exception). One query."""
    rows = list(open_now(scoped_cases(scope, metrics_filter)).values_list("pk", "state", "stage"))
    return {
        "open": len(rows),
        "by_stage": _grouped(((stage_label(state, stage), pk) for pk, state, stage in rows), "stage"),
        "by_waiting_on": _grouped(((WAITING_ON.get(state, "system"), pk) for pk, state, _ in rows), "waiting_on"),
    }


def aging_panel(*, scope: MetricsScope, metrics_filter: MetricsFilter, now=None) -> dict:
    """Open cases by age in business hours (each on its version's SLA calendar), in AGE_BUCKETS,
    and the OLDEST_LISTED oldest. Two queries plus one per calendar."""
    now = now or timezone.now()
    rows = list(
        open_now(scoped_cases(scope, metrics_filter)).values_list(
            "pk", "workflow_key", "version_id", "created", "state", "stage"
        )
    )
    clock = BusinessClock(row[2] for row in rows)
    aged = sorted(
        (
            {
                "case_id": pk,
                "workflow": workflow,
                "stage": stage_label(state, stage),
                "business_hours": round(clock.hours(version_id, created, now), 2),
                "hours": round(hours(created, now), 2),
            }
            for pk, workflow, version_id, created, state, stage in rows
        ),
        key=lambda case: (-case["business_hours"], case["case_id"]),
    )
    buckets = []
    for label, low, high in AGE_BUCKETS:
        ids = [
            c["case_id"] for c in aged if c["business_hours"] >= low and (high is None or c["business_hours"] < high)
        ]
        buckets.append(
            {"bucket": label, "min_hours": low, "max_hours": high, "count": len(ids), "case_ids": sorted(ids)}
        )
    return {"open": len(aged), "buckets": buckets, "oldest": aged[:OLDEST_LISTED]}


def approvals_panel(*, scope: MetricsScope, metrics_filter: MetricsFilter, now=None) -> dict:
    """Approvals pending now by person and by role's queue (count, oldest, cases), and the
    latency of the approvals decided in the range per stage (wall-clock hours)."""
    now = now or timezone.now()
    holders = pending_by_holder(pending_approval_rows(scope, metrics_filter), now=now)
    latency: dict[str, list] = defaultdict(list)
    if scope.sees_all or scope.workflows:
        cases = scoped_cases(scope, metrics_filter)
        moments = _moments(metrics_filter)
        for task in approvals_decided(
            cases=cases, finished_from=moments["moment_from"], finished_to=moments["moment_to"]
        ):
            latency[task["stage"]].append((hours(task["created"], task["finished"]), task["case_id"]))
    return {
        "by_person": [{k: v for k, v in g.items() if k != "role"} for g in holders if g["owner"]],
        "by_role": [{k: v for k, v in g.items() if k != "owner"} for g in holders if not g["owner"]],
        "latency": [
            {"stage": stage, **spread(h for h, _ in values), "case_ids": sorted({pk for _, pk in values})}
            for stage, values in sorted(latency.items())
        ],
    }


def exceptions_panel(*, scope: MetricsScope, metrics_filter: MetricsFilter) -> dict:
    """Step failures in the range: by category (open vs repaired), per week and category, and the
    recurring ones (the same step and category RECURRING_COUNT times or more in the range:
    probably a rule missing upstream). One query."""
    failures = step_failures_for_metrics(cases=scoped_cases(scope, metrics_filter), **_moments(metrics_filter))

    def tally(key_of) -> list[dict]:
        groups: dict = defaultdict(list)
        for failure in failures:
            groups[key_of(failure)].append(failure)
        return [
            (
                key,
                {
                    "count": len(items),
                    "open": sum(f["open"] for f in items),
                    "repaired": sum(not f["open"] for f in items),
                    "case_ids": sorted({f["case_id"] for f in items}),
                },
            )
            for key, items in sorted(groups.items())
        ]

    by_category = [{"category": category, **counts} for category, counts in tally(lambda f: f["category"])]
    by_week = [
        {"week": week.isoformat(), "category": category, **counts}
        for (week, category), counts in tally(lambda f: (week_of(f["at"]), f["category"]))
    ]
    recurring = [
        {"step_key": step, "step_name": name, "category": category, **counts}
        for (step, name, category), counts in tally(lambda f: (f["step_key"], f["step_name"], f["category"]))
        if counts["count"] >= RECURRING_COUNT
    ]
    return {"by_category": by_category, "by_week": by_week, "recurring": recurring}


def cycle_time_panel(*, scope: MetricsScope, metrics_filter: MetricsFilter) -> dict:
    """Cycle time (start to close) of the cases closed in the range: p50/p90 overall in wall-clock
    and business hours, and per week of closing, per version, per outcome (wall clock)."""
    rows = list(
        closed_in(scoped_cases(scope, metrics_filter), metrics_filter).values_list(
            "pk", "created", "finished", "outcome", "version_number", "version_id"
        )
    )
    clock = BusinessClock(row[5] for row in rows)
    cases = [
        {
            "case_id": pk,
            "hours": hours(created, finished),
            "business_hours": clock.hours(version_id, created, finished),
            "week": week_of(finished).isoformat(),
            "outcome": outcome,
            "version": number,
        }
        for pk, created, finished, outcome, number, version_id in rows
    ]

    def per(key: str) -> list[dict]:
        groups: dict = defaultdict(list)
        for case in cases:
            groups[case[key]].append(case)
        return [
            {key: value, **spread(c["hours"] for c in items), "case_ids": sorted(c["case_id"] for c in items)}
            for value, items in sorted(groups.items())
        ]

    business = spread(c["business_hours"] for c in cases)
    return {
        "overall": {
            **spread(c["hours"] for c in cases),
            "business_p50": business["p50"],
            "business_p90": business["p90"],
            "case_ids": sorted(c["case_id"] for c in cases),
        },
        "by_week": per("week"),
        "by_version": per("version"),
        "by_outcome": per("outcome"),
    }


def rework_panel(*, scope: MetricsScope, metrics_filter: MetricsFilter) -> dict:
    """Of the cases closed in the range: how often each went back to its requester, and the share
    returned at least once; and the repairs per automated step (failures in the range an operator
    has dealt with). Three queries."""
    cases = scoped_cases(scope, metrics_filter)
    closed = closed_in(cases, metrics_filter)
    closed_ids = sorted(closed.values_list("pk", flat=True))
    returns = returns_per_case(cases=closed)
    per_count = _grouped(((returns.get(pk, 0), pk) for pk in closed_ids), "returns")
    repairs = _grouped(
        (
            (f["step_key"], f["case_id"])
            for f in step_failures_for_metrics(cases=cases, **_moments(metrics_filter))
            if not f["open"]
        ),
        "step_key",
    )
    returned = sorted(returns)
    return {
        "closed": len(closed_ids),
        "returned": {"count": len(returned), "case_ids": returned},
        "rate": ratio(len(returned), len(closed_ids)),
        "returns_per_case": per_count,
        "repairs_by_step": [
            {"step_key": g["step_key"], "repairs": g["count"], "case_ids": g["case_ids"]} for g in repairs
        ],
    }


def sla_panel(*, scope: MetricsScope, metrics_filter: MetricsFilter, now=None) -> dict:
    """SLA clocks met and breached in the range, in total and by stage (an approval stage's key,
    "rework" for the requester's clock, "case" for a whole-case clock), and the escalations fired
    (due) in the range by level: (1, "remind"), (2, "escalate"), ... of any clock, running or not.
    Two queries."""
    clocks = clocks_for_metrics(cases=scoped_cases(scope, metrics_filter), now=now, **_moments(metrics_filter))
    stages = task_stages(task_ids={c["task_id"] for c in clocks if c["task_id"]}) if clocks else {}
    by_stage: dict = defaultdict(lambda: {"met": 0, "breached": 0, "case_ids": set(), "breached_case_ids": set()})
    escalations: dict = defaultdict(set)
    counts: dict = defaultdict(int)
    for clock in clocks:
        stage = stages.get(clock["task_id"], clock["kind"]) if clock["task_id"] else clock["kind"]
        if clock["met"] or clock["breached"]:
            group = by_stage[stage]
            group["met"] += clock["met"]
            group["breached"] += clock["breached"]
            group["case_ids"].add(clock["case_id"])
            if clock["breached"]:
                group["breached_case_ids"].add(clock["case_id"])
        for level, action in clock["escalations"]:
            escalations[(level, action)].add(clock["case_id"])
            counts[(level, action)] += 1
    return {
        "met": sum(c["met"] for c in clocks),
        "breached": sum(c["breached"] for c in clocks),
        "by_stage": [
            {
                "stage": stage,
                "met": g["met"],
                "breached": g["breached"],
                "case_ids": sorted(g["case_ids"]),
                "breached_case_ids": sorted(g["breached_case_ids"]),
            }
            for stage, g in sorted(by_stage.items())
        ],
        "escalations": [
            {"level": level, "action": action, "count": counts[(level, action)], "case_ids": sorted(ids)}
            for (level, action), ids in sorted(escalations.items())
        ],
    }
