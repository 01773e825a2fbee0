"""The headline numbers of the Metrics API (GET /api/v1/metrics/), in one call.

Which cases each number counts (test cases never; README "Metrics" says the same):
- `wip`: cases open now (the date range does not apply), by stage;
- `cycle_time_hours`, `outcomes`, `rework_rate`: cases closed in the range;
- `exception_rate`: of the cases started in the range, the share with an automated step that
  failed for good (reached the exception queue), repaired since or not;
- `approval_latency_hours`: approval tasks decided in the range, created to decided, per stage;
- `sla`: clocks that ended in the range before their due moment (met) and clocks that breached
  in it: marked by the sweeper, or ended or still running past due (apps.sla.selectors);
- `pending_approvals`: approval tasks open now, by the person holding them or the role's queue;
- `exceptions`: step failures in the range, by category.
"""

from collections import defaultdict

from django.db.models import Count, Q
from django.utils import timezone

from apps.automation.selectors import step_failures_counted
from apps.cases.models import CaseState, Outcome
from apps.cases.reporting import approval_latency_by_stage, approvals_open, approvals_open_by_holder
from apps.core.percentiles import PercentileCont, in_database, rounded
from apps.sla.selectors import clock_counts_for_metrics

from ..filters import MetricsFilter
from ..policy import MetricsScope
from .base import closed_in, copied_scope, hours, open_during, open_now, real_cases, scoped_cases, spread, started_in


def stage_label(state: str, stage: str) -> str:
    """Where an open case is: its approval stage's key while someone must approve, else its
    state (rework, waiting, exception, routing)."""
    return stage if state == CaseState.APPROVAL and stage else state


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def pending_approval_rows(scope: MetricsScope, metrics_filter: MetricsFilter) -> list[dict]:
    """Open approval tasks the person may see: those of their workflows (all, for who sees all),
    plus those held by the people who report to them (one or two queries)."""
    rows = []
    if scope.sees_all or scope.workflows:
        rows = approvals_open(cases=open_now(scoped_cases(scope, metrics_filter)))
    if scope.reports and not scope.sees_all:
        seen = {row["task_id"] for row in rows}
        held = approvals_open(cases=open_now(real_cases(metrics_filter)), owner_ids=sorted(scope.reports))
        rows = sorted(rows + [row for row in held if row["task_id"] not in seen], key=lambda r: r["created"])
    return rows


def pending_counted(scope: MetricsScope, metrics_filter: MetricsFilter, *, now) -> list[dict]:
    """pending_by_holder's numbers without the cases behind them: [{owner, role, count,
    oldest_hours}], largest first. Counted by the database (one query) for a person who sees
    whole workflows, so the cost does not grow with the open approvals; a manager's view, which
    adds the approvals their reports hold in any workflow, is counted from the rows."""
    if scope.reports and not scope.sees_all:
        groups = pending_by_holder(pending_approval_rows(scope, metrics_filter), now=now)
        return [{k: v for k, v in g.items() if k != "case_ids"} for g in groups]
    if not (scope.sees_all or scope.workflows):
        return []
    found = [
        {
            "owner": group["owner"] or None,
            "role": group["role"] or None,
            "count": group["count"],
            "oldest_hours": round(hours(group["oldest"], now), 2),
        }
        for group in approvals_open_by_holder(cases=open_now(scoped_cases(scope, metrics_filter)))
    ]
    return sorted(found, key=lambda g: (-g["count"], -g["oldest_hours"], g["owner"] or "", g["role"] or ""))


def pending_by_holder(rows: list[dict], *, now) -> list[dict]:
    """[{owner, role, count, oldest_hours, case_ids}], a person's or a queue's, largest first."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        groups[(row["owner"] or None, None if row["owner"] else row["role"] or None)].append(row)
    found = [
        {
            "owner": owner,
            "role": role,
            "count": len(tasks),
            "oldest_hours": round(hours(min(t["created"] for t in tasks), now), 2),
            "case_ids": sorted({t["case_id"] for t in tasks}),
        }
        for (owner, role), tasks in groups.items()
    ]
    return sorted(found, key=lambda g: (-g["count"], -g["oldest_hours"], g["owner"] or "", g["role"] or ""))


def closed_numbers(closed) -> tuple[dict, dict, int]:
    """Of a queryset of closed cases: cycle time {p50, p90, count} in wall-clock hours, {outcome:
    count}, and how many went back to their requester, from the facts kept on each case
    (`cycle_hours`, `returned_count`). One query; on PostgreSQL the database computes the
    percentiles and counts, elsewhere Python does over the rows."""
    if in_database(closed):
        numbers = closed.aggregate(
            count=Count("pk"),
            p50=PercentileCont("cycle_hours", 0.5),
            p90=PercentileCont("cycle_hours", 0.9),
            returned=Count("pk", filter=Q(returned_count__gt=0)),
            **{f"outcome_{outcome}": Count("pk", filter=Q(outcome=outcome)) for outcome in Outcome.values},
        )
        outcomes = {o: numbers[f"outcome_{o}"] for o in sorted(Outcome.values) if numbers[f"outcome_{o}"]}
        cycle = {"p50": rounded(numbers["p50"]), "p90": rounded(numbers["p90"]), "count": numbers["count"]}
        return cycle, outcomes, numbers["returned"]
    rows = list(closed.values_list("cycle_hours", "outcome", "returned_count"))
    outcomes: dict[str, int] = defaultdict(int)
    for _, outcome, _returned in rows:
        outcomes[outcome] += 1
    cycle = spread(cycle for cycle, *_ in rows)
    return cycle, dict(sorted(outcomes.items())), sum(1 for *_, returned in rows if returned)


def metrics_summary(*, scope: MetricsScope, metrics_filter: MetricsFilter, now=None) -> dict:
    """The API's numbers (see the module's docstring for what each counts). Seven queries for
    a person who sees whole workflows; a manager's pending approvals add one."""
    now = now or timezone.now()
    cases = scoped_cases(scope, metrics_filter)

    by_stage: dict[str, int] = defaultdict(int)
    for state, stage, n in open_now(cases).order_by().values_list("state", "stage").annotate(n=Count("pk")):
        by_stage[stage_label(state, stage)] += n

    cycle, outcomes, returned = closed_numbers(closed_in(cases, metrics_filter))

    started = started_in(cases, metrics_filter).aggregate(
        started=Count("pk"), failed=Count("pk", filter=Q(had_exception=True))
    )

    moments = {"moment_from": metrics_filter.moment_from, "moment_to": metrics_filter.moment_to}
    # What a case leaves in the range (decisions, clocks, failures) it leaves while open.
    during, copied = open_during(cases, metrics_filter), copied_scope(scope, metrics_filter)
    latency = approval_latency_by_stage(
        **copied,
        finished_from=metrics_filter.moment_from,
        finished_to=metrics_filter.moment_to,
    )
    clocks = clock_counts_for_metrics(**copied, now=now, **moments)
    categories: dict[str, int] = defaultdict(int)
    for failure in step_failures_counted(cases=during, **moments):
        categories[failure["category"]] += failure["count"]

    return {
        "wip": {"open": sum(by_stage.values()), "by_stage": dict(sorted(by_stage.items()))},
        "cycle_time_hours": cycle,
        "approval_latency_hours": {
            stage: {"p50": numbers["p50"], "p90": numbers["p90"]} for stage, numbers in sorted(latency.items())
        },
        "started": started["started"],
        "closed": cycle["count"],
        "exception_rate": ratio(started["failed"], started["started"]),
        "rework_rate": ratio(returned, cycle["count"]),
        "sla": clocks,
        "pending_approvals": pending_counted(scope, metrics_filter, now=now),
        "exceptions": [
            {"category": category, "count": n}
            for category, n in sorted(categories.items(), key=lambda i: (-i[1], i[0]))
        ],
        "outcomes": outcomes,
    }
