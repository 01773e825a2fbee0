#!/usr/bin/env python
"""Inbox benchmark: do the task lists stay fast when the task table grows a hundredfold?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/inbox.py
    ... bench/inbox.py --sizes 10000 1000000 --repeat 40 --explain plans.txt

Builds 10,000 and then 1,000,000 open tasks in a throwaway PostgreSQL database (created beside
the one DATABASE_URL names, as bench/engine.py does, dropped at the end). The measured person's
share is held fixed at every size: 50 tasks assigned to them, 200 waiting in their role's queue
(plus 20 in that queue on cases they requested themselves, which they must never see) and 100
they decided; everything added to grow the table belongs to other people and other roles. Rows are
cloned in bulk from one real case (INSERT ... SELECT generate_series), so a million builds in
minutes. At each size it times, through the real selectors: the API's task list page (count and
page, as the API paginator runs them), the portal's assigned, queue and done tabs (count and
page) and the tab counts (inbox counts, role queue counts, workflow filter). The last line of
stdout is one JSON object with p50/p95 per list and size and the p95 ratio largest/smallest.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

from bench.engine import create_database  # noqa: E402 - after the settings module is chosen

PAGE = 25
OTHER_USERS = 200
OTHER_ROLES = 500
SHARE = {"assigned": 50, "queue": 200, "own_requests_in_queue": 20, "done": 100}
LISTS = ["api_tasks", "assigned_tab", "queue_tab", "done_tab", "tab_counts"]


# --- building ----------------------------------------------------------------------------------


def columns(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def clone(cursor, table: str, key: str, template_id: int, n: int, overrides: dict) -> None:
    """Insert `n` copies of one template row; `overrides` maps a column to an SQL expression of g."""
    cols = columns(cursor, table)
    select = ", ".join(overrides.get(col, f't."{col}"') for col in cols)
    names = ", ".join(f'"{col}"' for col in cols)
    cursor.execute(
        f'INSERT INTO "{table}" ({names}) SELECT {select} FROM "{table}" t, generate_series(1, %s) g '
        f'WHERE t."{key}" = %s',
        [n, template_id],
    )


class Builder:
    """Adds batches of one-task cases, cloned from a real case, in three INSERT ... SELECTs each."""

    def __init__(self, template_task):
        self.task = template_task
        self.process_id = template_task.process_id

    def add(self, cursor, n: int, *, status: str, owner: str, permission: str, requester: str) -> None:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM viewflow_process")
        base = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM viewflow_task")
        task_base = cursor.fetchone()[0]
        pid = f"({base} + g)"
        # Spread creation over a year, interleaving every batch, so no share sits at one end.
        created = f"now() - (((g + {base})::bigint * 7919) %% 525600) * interval '1 minute'"
        clone(cursor, "viewflow_process", "id", self.process_id, n, {"id": pid, "created": created})
        clone(
            cursor,
            "cases_case",
            "process_ptr_id",
            self.process_id,
            n,
            {"process_ptr_id": pid, "requester_id": requester, "idempotency_key": "NULL"},
        )
        finished = f"{created} + interval '1 hour'" if status == "DONE" else "NULL"
        clone(
            cursor,
            "viewflow_task",
            "id",
            self.task.pk,
            n,
            {
                "id": f"({task_base} + g)",
                "process_id": pid,
                "status": f"'{status}'",
                "owner_id": owner,
                "owner_permission": permission,
                "created": created,
                "assigned": "NULL" if owner == "NULL" else created,
                "finished": finished,
            },
        )


def setup():
    """Migrate, seed the demo, start one real case as the template; return (builder, context)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from viewflow.workflow.models import Task

    from apps.cases.flows import CaseFlow
    from apps.cases.services import case_start

    try:
        from apps.demo.management.commands.seed_demo import seed_demo_data
    except ImportError:  # before the demo app took it over
        from apps.org.management.commands.seed_demo import seed_demo_data

    call_command("migrate", verbosity=0)
    seed_demo_data()
    users = get_user_model()
    alice = users.objects.get(username="alice")
    case, _ = case_start(
        workflow="purchase-approval", data={"amount": "5000", "vendor": "ACME", "cost_center": "CC-1"}, actor=alice
    )
    template = Task.objects.filter(process_id=case.pk, flow_task=CaseFlow.approve, owner__isnull=True).first()
    users.objects.bulk_create([users(username=f"bench{i:04d}") for i in range(OTHER_USERS)])
    return Builder(template), {
        "user": users.objects.get(username="fiona"),
        "template": template,
        "others": sorted(u.pk for u in users.objects.filter(username__startswith="bench")),
    }


def build_share(cursor, builder, ctx, role: str) -> None:
    """The measured person's fixed share (built once, at the smallest size)."""
    me = str(ctx["user"].pk)
    other = f"{ctx['others'][0]} + (g %% {OTHER_USERS})"
    queue = f"'{role}'"
    builder.add(cursor, SHARE["assigned"], status="ASSIGNED", owner=me, permission="NULL", requester=other)
    # The template case's own finance approval waits in the same queue: it is one of the 200.
    builder.add(cursor, SHARE["queue"] - 1, status="NEW", owner="NULL", permission=queue, requester=other)
    builder.add(cursor, SHARE["own_requests_in_queue"], status="NEW", owner="NULL", permission=queue, requester=me)
    builder.add(cursor, SHARE["done"], status="DONE", owner=me, permission="NULL", requester=other)


def grow(cursor, builder, ctx, open_tasks: int) -> None:
    """Add other people's open tasks (half assigned, half queued for other roles) and half as many
    decided ones, until the table holds `open_tasks` open tasks."""
    cursor.execute("SELECT count(*) FROM viewflow_task WHERE status IN ('NEW', 'ASSIGNED')")
    missing = open_tasks - cursor.fetchone()[0]
    if missing <= 0:
        return
    other = f"{ctx['others'][0]} + (g %% {OTHER_USERS})"
    assigned = missing // 2
    chunk = 250_000
    for start in range(0, missing, chunk):
        n = min(chunk, missing - start)
        n_assigned = max(0, min(n, assigned - start))
        if n_assigned:
            builder.add(cursor, n_assigned, status="ASSIGNED", owner=other, permission="NULL", requester=other)
        if n - n_assigned:
            role = f"'role:other-' || (g %% {OTHER_ROLES})"
            builder.add(cursor, n - n_assigned, status="NEW", owner="NULL", permission=role, requester=other)
        done = n // 2
        builder.add(cursor, done, status="DONE", owner=other, permission="NULL", requester=other)
    for table in ("viewflow_process", "viewflow_task"):
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    cursor.execute("VACUUM ANALYZE")


# --- measuring ---------------------------------------------------------------------------------


def fresh(user):
    """The user as a request loads it: no roles cached on it yet."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=user.pk)


def page_of(queryset) -> int:
    """What a paginated list does: the count, then the first page's rows."""
    from django.core.paginator import Paginator

    page = Paginator(queryset, PAGE).page(1)
    return page.paginator.count + len(list(page.object_list))


def measures(user_pk):
    from django.contrib.auth import get_user_model

    from apps.cases.selectors import task_list_for_user
    from apps.inbox import selectors

    def user():
        return get_user_model()(pk=user_pk)

    def counts():
        u = user()
        return (selectors.inbox_counts(user=u), selectors.role_queue_counts(user=u), selectors.workflow_keys())

    return {
        "api_tasks": lambda: page_of(task_list_for_user(user=user())),
        "assigned_tab": lambda: page_of(selectors.inbox_tasks(user=user(), tab="assigned")),
        "queue_tab": lambda: page_of(selectors.inbox_tasks(user=user(), tab="queue")),
        "done_tab": lambda: page_of(selectors.inbox_tasks(user=user(), tab="done")),
        "tab_counts": counts,
    }


def time_lists(user_pk, repeat: int) -> dict:
    timings = {}
    for name, run in measures(user_pk).items():
        for _ in range(3):
            run()
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            run()
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        timings[name] = {
            "p50": round(statistics.median(samples), 2),
            "p95": round(samples[max(0, int(len(samples) * 0.95) - 1)], 2),
        }
    return timings


def check_share(ctx) -> None:
    """The measured person sees exactly their share, at every size."""
    from apps.cases.selectors import task_list_for_user
    from apps.inbox import selectors

    user = fresh(ctx["user"])
    got = {
        "api": task_list_for_user(user=user).count(),
        "assigned": selectors.inbox_tasks(user=user, tab="assigned").count(),
        "queue": selectors.inbox_tasks(user=user, tab="queue").count(),
        "done": selectors.inbox_tasks(user=user, tab="done").count(),
    }
    want = {
        "api": SHARE["assigned"] + SHARE["queue"],
        "assigned": SHARE["assigned"],
        "queue": SHARE["queue"],
        "done": SHARE["done"],
    }
    if got != want:
        raise SystemExit(f"the measured share drifted: {got} != {want}")


def explain(user_pk, out) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every SELECT the lists run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for name, run in measures(user_pk).items():
        with CaptureQueriesContext(connection) as captured:
            run()
        for query in captured.captured_queries:
            sql = query["sql"]
            if "viewflow_task" not in sql and "cases_case" not in sql:
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            out.write(f"-- {name}\n{sql}\n{plan}\n\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--explain", help="write EXPLAIN (ANALYZE, BUFFERS) of the lists at the largest size here")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    args = parser.parse_args()
    if not (os.environ.get("DATABASE_URL") or "").startswith("postgres"):
        raise SystemExit("bench/inbox.py measures PostgreSQL: set DATABASE_URL=postgres://...")
    drop = create_database()
    try:
        import django

        django.setup()
        from django.db import connection

        from apps.cases.nodes import ROLE_PREFIX
        from apps.org.selectors import user_role_names

        builder, ctx = setup()
        role = f"{ROLE_PREFIX}{user_role_names(user=fresh(ctx['user']))[0]}"
        results = {}
        for size in sorted(args.sizes):
            started = time.perf_counter()
            with connection.cursor() as cursor:
                if not results:
                    build_share(cursor, builder, ctx, role)
                grow(cursor, builder, ctx, size)
            built = time.perf_counter() - started
            check_share(ctx)
            results[size] = time_lists(ctx["user"].pk, args.repeat)
            print(f"{size:>9} open tasks (built in {built:.0f} s): {json.dumps(results[size])}", file=sys.stderr)
        if args.explain:
            with open(args.explain, "w") as out:
                explain(ctx["user"].pk, out)
        small, large = min(results), max(results)
        summary = {
            "sizes": sorted(results),
            "p50_ms": {name: [results[s][name]["p50"] for s in sorted(results)] for name in LISTS},
            "p95_ms": {name: [results[s][name]["p95"] for s in sorted(results)] for name in LISTS},
            "p95_ratio": {
                name: round(results[large][name]["p95"] / max(results[small][name]["p95"], 0.01), 2) for name in LISTS
            },
        }
        print(json.dumps(summary))
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop()


if __name__ == "__main__":
    main()
