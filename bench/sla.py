#!/usr/bin/env python
"""SLA sweep benchmark: its cost follows the number of due items, not of open tasks.

    .venv/bin/python bench/sla.py                       # 100,000 open tasks, 1% due  vs  1,000 all due
    .venv/bin/python bench/sla.py --open 20000 --due 200
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/sla.py

Both sweeps fire the same kind of level (the 24-business-hour reminder) for `--due` tasks of
real purchase cases started through the services. The large run adds the other open tasks as
rows in bulk (tasks with SLA clocks not due yet), because starting 99,000 cases one by one
would take an hour and measure case starts, not the sweep. Runs on a throwaway database and
ends with one JSON line: seconds and queries of each sweep, and their ratio.
"""

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

from bench.engine import create_database  # noqa: E402


def start_cases(n: int, alice) -> list:
    from apps.cases.services import case_start

    return [
        case_start(
            workflow="purchase-approval", data={"amount": "500", "vendor": f"V{i}", "cost_center": "C"}, actor=alice
        )[0]
        for i in range(n)
    ]


def sweep_moment(cases):
    """A moment after every reminder of these cases and before any breach."""
    from apps.sla.clocks import when
    from apps.sla.models import SlaClock

    clocks = list(SlaClock.objects.filter(case__in=cases, kind="approval"))
    reminders = [when(next(lv for lv in c.levels if lv["action"] == "remind")) for c in clocks]
    breaches = [when(next(lv for lv in c.levels if lv["action"] == "breach")) for c in clocks]
    moment = max(reminders) + timedelta(minutes=1)
    assert moment < min(breaches), "cases started too far apart for one reminder window"
    return moment


def add_idle_tasks(n: int, case, bob) -> None:
    """Open approval tasks whose SLA clocks are far from due, written in bulk."""
    from django.utils import timezone
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from apps.cases.flows import CaseFlow
    from apps.sla.models import SlaClock

    later = timezone.now() + timedelta(days=365)
    for offset in range(0, n, 5000):
        size = min(5000, n - offset)
        tasks = Task.objects.bulk_create(
            [
                Task(
                    process_id=case.pk,
                    flow_task=CaseFlow.approve,
                    flow_task_type="HUMAN",
                    status=STATUS.ASSIGNED,
                    owner=bob,
                    data={"kind": "approval", "label": "Idle approval", "round": 0},
                )
                for _ in range(size)
            ]
        )
        if tasks[0].pk is None:  # SQLite before 3.35 returns no ids; fetch them
            tasks = list(Task.objects.filter(data__label="Idle approval", sla_clock__isnull=True)[:size])
        SlaClock.objects.bulk_create(
            [
                SlaClock(
                    case_id=case.pk,
                    task_id=t.pk,
                    workflow_key=case.workflow_key,
                    version_number=case.version_number,
                    kind="approval",
                    started=timezone.now(),
                    due=later,
                    target_hours=48,
                    levels=[
                        {"action": "remind", "after_hours": 24, "at": later.isoformat()},
                        {"action": "breach", "after_hours": 48, "at": later.isoformat()},
                    ],
                    next_fire_at=later,
                )
                for t in tasks
            ]
        )


def measured_sweep(at) -> dict:
    from django.db import connection

    from apps.sla.sweeper import sla_sweep

    count = [0]

    def counting(execute, sql, params, many, context):
        count[0] += 1  # a counter, not a capture: thousands of statements, no memory
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counting):
        began = time.perf_counter()
        fired = sla_sweep(at=at)
        seconds = time.perf_counter() - began
    return {"seconds": round(seconds, 3), "queries": count[0], "fired": len(fired)}


def run(open_tasks: int, due: int) -> dict:
    import django
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from apps.demo.management.commands.seed_demo import seed_demo_data
    from apps.sla.models import SlaClock

    call_command("migrate", run_syncdb=True, verbosity=0)
    seed_demo_data()
    users = {u.username: u for u in get_user_model().objects.all()}

    warm = start_cases(3, users["alice"])  # first-use costs (imports, caches) stay out of the figures
    measured_sweep(sweep_moment(warm))

    print(f"starting {due} cases for the all-due sweep...", flush=True)
    small = start_cases(due, users["alice"])
    small_result = measured_sweep(sweep_moment(small))
    small_result["open_clocks"] = SlaClock.objects.filter(stopped_at__isnull=True, next_fire_at__isnull=False).count()

    print(f"starting {due} more cases and adding {open_tasks - 2 * due} idle tasks...", flush=True)
    large = start_cases(due, users["alice"])
    moment = sweep_moment(large)
    add_idle_tasks(open_tasks - 2 * due, large[0], users["bob"])
    open_clocks = SlaClock.objects.filter(stopped_at__isnull=True, next_fire_at__isnull=False).count()
    large_result = measured_sweep(moment)
    large_result["open_clocks"] = open_clocks

    assert small_result["fired"] == large_result["fired"] == due, (small_result, large_result)
    return {
        "vendor": connection.vendor,
        "django": django.get_version(),
        "due": due,
        "all_due": small_result,
        "one_percent_due": large_result,
        "time_ratio": round(large_result["seconds"] / small_result["seconds"], 3),
        "query_ratio": round(large_result["queries"] / small_result["queries"], 3),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--open", type=int, default=100_000, help="open tasks in the large sweep")
    parser.add_argument("--due", type=int, default=1_000, help="due tasks in each sweep")
    args = parser.parse_args(argv)
    if args.open < 2 * args.due:
        parser.error("--open must be at least twice --due")
    drop = create_database()
    try:
        import django

        django.setup()
        result = run(args.open, args.due)
    finally:
        from django.db import connections

        connections.close_all()
        drop()
    small, large = result["all_due"], result["one_percent_due"]
    print(f"SLA sweep on {result['vendor']}:")
    print(
        f"  {small['open_clocks']:>7} open, all due : {small['seconds']:7.2f} s  {small['queries']:>6} queries  {small['fired']} fired"
    )
    print(
        f"  {large['open_clocks']:>7} open, {args.due} due: {large['seconds']:7.2f} s  {large['queries']:>6} queries  {large['fired']} fired"
    )
    print(f"  ratio: time {result['time_ratio']}x, queries {result['query_ratio']}x")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
