#!/usr/bin/env python
"""Engine benchmark: our purchase case against a bare viewflow flow of the same shape.

    .venv/bin/python bench/engine.py --cases 200
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/engine.py --cases 200

One case = start, manager approval (bob, assigned), finance approval (fiona, claims the role task),
close. Ours runs through apps.cases.services; the baseline (bench/bareflow) is plain viewflow driven
the way viewflow's own task view wrapper drives it. Each run works on a throwaway database (a
temporary SQLite file, or a fresh PostgreSQL database beside the one DATABASE_URL names, dropped
at the end). Queries and time are measured in separate passes, so query capture does not slow the
timed pass. The last line of stdout is one JSON object with the figures.
"""

import argparse
import copy
import json
import os
import re
import statistics
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

PHASES = ["start", "approve_1", "approve_2"]
CONNECTIONS = {"opened": 0}  # database connections opened so far (connection_created signal)
DATA = {"amount": "5000", "vendor": "ACME", "cost_center": "CC-1"}


# --- throwaway database ----------------------------------------------------------------------


def create_database():
    """Create a fresh database for this run, point bench.settings at it, return a drop function."""
    import dj_database_url

    url = os.environ.get("DATABASE_URL")
    config = dj_database_url.parse(url) if url else {"ENGINE": "django.db.backends.sqlite3"}
    if config["ENGINE"] == "django.db.backends.sqlite3":
        fd, path = tempfile.mkstemp(prefix="wms_bench_", suffix=".sqlite3")
        os.close(fd)
        os.environ["BENCH_DB_NAME"] = path

        def drop():
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)

        return drop

    if config["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit(f"bench/engine.py supports SQLite and PostgreSQL, not {config['ENGINE']}")
    import psycopg
    from psycopg import sql

    params = {
        "dbname": config.get("NAME") or "postgres",
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }
    params = {k: v for k, v in params.items() if v is not None}
    name = f"wms_bench_{os.getpid()}"
    with psycopg.connect(**params, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    os.environ["BENCH_DB_NAME"] = name

    def drop():
        with psycopg.connect(**params, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    return drop


# --- measuring ---------------------------------------------------------------------------------


class Meter:
    """Per-phase wall time, or per-phase captured SQL, over the measured calls of one flow.

    Every mode also counts the statements the cursors execute (a counter bump per statement, far
    below the noise of the timing), to check that every timed case ran the same statements as the
    sample whose SQL was captured. With `trace`, records the code behind each statement too.
    """

    def __init__(self, capture: bool, trace: bool = False):
        self.capture = capture or trace
        self.trace = trace
        self.seconds = defaultdict(float)
        self.queries = defaultdict(list)
        self.origins = defaultdict(list)
        self.executed = 0
        self.connections = 0

    def _count(self, execute, sql, params, many, context):
        self.executed += 1
        return execute(sql, params, many, context)

    @contextmanager
    def phase(self, name):
        opened = CONNECTIONS["opened"]
        try:
            with self._measure(name):
                yield
        finally:
            self.connections += CONNECTIONS["opened"] - opened

    @contextmanager
    def _measure(self, name):
        from django.db import connection

        if self.trace:

            def record(execute, sql, params, many, context):
                self.queries[name].append(sql)
                self.origins[name].append(origin(traceback.extract_stack()))
                return self._count(execute, sql, params, many, context)

            with connection.execute_wrapper(record):
                yield
        elif self.capture:
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(self._count):
                yield
            self.queries[name].extend(q["sql"] for q in ctx.captured_queries)
        else:
            with connection.execute_wrapper(self._count):
                started = time.perf_counter()
                yield
                self.seconds[name] += time.perf_counter() - started

    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    def total_queries(self) -> int:
        return sum(len(statements) for statements in self.queries.values())


def origin(stack) -> str:
    """Where a statement comes from: the innermost project frame and the innermost library frame."""
    ours = lib = ""
    for frame in reversed(stack):
        path = frame.filename.replace("\\", "/")
        if not lib:
            for name in ("viewflow", "simple_history"):
                if f"/site-packages/{name}/" in path:
                    lib = f"{name}/{path.split(f'/site-packages/{name}/', 1)[1]}:{frame.lineno} {frame.name}"
                    break
        if not ours and path.startswith(str(ROOT)) and "/site-packages/" not in path:
            rel = Path(path).relative_to(ROOT).as_posix()
            if rel != "bench/engine.py" or frame.name in {"bare_task_complete"}:
                ours = f"{rel}:{frame.lineno} {frame.name}"
        if ours and lib:
            break
    return " <- ".join(part for part in (lib, ours) if part) or "?"


def fresh(user):
    """A copy of a user as a request would load it: no role or profile cached on it yet."""
    return copy.copy(user)


# --- the two flows ---------------------------------------------------------------------------


def ours_case(users, meter):
    from viewflow.workflow.models import Task

    from apps.cases.flows import CaseFlow
    from apps.cases.services import case_start, task_complete

    with meter.phase("start"):
        case, created = case_start(workflow="purchase-approval", data=dict(DATA), actor=fresh(users["alice"]))
    assert created
    # The caller knows its task ids (task list, notification link): looked up outside the measure.
    tasks = {
        t.data.get("label"): t.pk
        for t in Task.objects.filter(process_id=case.pk, flow_task=CaseFlow.approve).only("id", "data")
    }
    with meter.phase("approve_1"):
        task_complete(task_id=tasks["Manager approval"], actor=fresh(users["bob"]), decision="approve")
    with meter.phase("approve_2"):
        task_complete(task_id=tasks["Finance approval"], actor=fresh(users["fiona"]), decision="approve")
    return case.pk


def bare_task_complete(process_pk, task_pk, user):
    """What viewflow's task view wrapper does on POST: lock, re-read, assign if open, run."""
    from django.core.exceptions import PermissionDenied
    from django.db import transaction
    from viewflow.workflow.models import Task

    from bench.bareflow.flows import BareFlow

    with BareFlow.lock(process_pk), transaction.atomic():
        task = Task.objects.get(pk=task_pk)
        if task.process.flow_class != BareFlow:
            raise PermissionDenied
        flow_task = task.flow_task
        activation = flow_task.activation_class(task)
        if task.owner_id is None:
            if not flow_task.can_assign(user, task):
                raise PermissionDenied
            activation.assign(user)
        if not flow_task.can_execute(user, task):
            raise PermissionDenied
        activation.start(None)
        activation.execute()
    return task


def bare_case(users, meter):
    from viewflow.workflow.models import Task

    from bench.bareflow.flows import BareFlow

    with meter.phase("start"):
        process = BareFlow.start.run(data=dict(DATA), manager=fresh(users["bob"]))
    tasks = {
        t.flow_task.name: t.pk
        for t in Task.objects.filter(
            process_id=process.pk, flow_task__in=[BareFlow.manager_approval, BareFlow.finance_approval]
        )
    }
    with meter.phase("approve_1"):
        bare_task_complete(process.pk, tasks["manager_approval"], fresh(users["bob"]))
    with meter.phase("approve_2"):
        bare_task_complete(process.pk, tasks["finance_approval"], fresh(users["fiona"]))
    return process.pk


def check_closed(kind, pks):
    """Every measured case really ran to its end (approved and closed)."""
    from viewflow.workflow.models import Process
    from viewflow.workflow.status import PROCESS

    from apps.cases.models import Case, CaseState

    done = Process.objects.filter(pk__in=pks, status=PROCESS.DONE, finished__isnull=False).count()
    if kind == "ours":
        done = min(done, Case.objects.filter(pk__in=pks, state=CaseState.APPROVED).count())
    if done != len(pks):
        raise SystemExit(f"{kind}: only {done} of {len(pks)} cases closed; the benchmark is not measuring a full case")


# --- SQL classification ------------------------------------------------------------------------

_TABLE = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?([\w.]+)"?', re.I)
_FROM = re.compile(r'\bFROM\s+"?([\w.]+)"?', re.I)


def classify(statement: str) -> str:
    """`KIND table` for one SQL statement, e.g. `INSERT audit_auditevent`, `SELECT ... FOR UPDATE`."""
    words = statement.split(None, 1)
    kind = words[0].upper() if words else "?"
    if kind in {"SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"}:
        return kind if kind != "RELEASE" else "RELEASE SAVEPOINT"
    match = _TABLE.match(statement)
    if match:
        return f"{kind} {match.group(1)}"
    if kind == "SELECT":
        match = _FROM.search(statement)
        table = match.group(1) if match else "?"
        if " FOR UPDATE" in statement.upper():
            return f"SELECT {table} FOR UPDATE"
        return f"SELECT {table}"
    return kind


def per_case(counter: Counter, n: int) -> dict:
    return {key: round(value / n, 2) for key, value in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))}


# --- run ---------------------------------------------------------------------------------------


def run(n: int, query_cases: int, warmup: int, show_sql: bool, breakdown: bool, trace: bool) -> dict:
    import django

    django.setup()

    from django.contrib.auth import get_user_model
    from django.db.backends.signals import connection_created

    def count_connection(**kwargs):
        CONNECTIONS["opened"] += 1

    connection_created.connect(count_connection, weak=False)
    from django.core.management import call_command
    from django.db import connection

    from apps.demo.management.commands.seed_demo import seed_demo_data

    call_command("migrate", run_syncdb=True, verbosity=0)
    seed_demo_data()
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["alice", "bob", "fiona"])}
    flows = {"ours": ours_case, "bare": bare_case}

    # Warm up: imports, per-process caches (content types, flow nodes). Not measured.
    for kind, case in flows.items():
        check_closed(kind, [case(users, Meter(capture=True)) for _ in range(warmup)])

    # Pass 1: queries, on a sample of cases (a case's queries do not depend on how many ran
    # before it; the per-case counts are checked to be equal). Capturing costs time (on SQLite
    # Django even runs a query to quote each logged statement's parameters), hence its own pass.
    query_meters, query_spread, executed_per_case = {}, {}, {}
    for kind, case in flows.items():
        meter, pks, counts, executed = Meter(capture=True), [], [], set()
        for _ in range(query_cases):
            before, before_executed = meter.total_queries(), meter.executed
            pks.append(case(users, meter))
            counts.append(meter.total_queries() - before)
            executed.add(meter.executed - before_executed)
        check_closed(kind, pks)
        query_meters[kind], query_spread[kind] = meter, (min(counts), max(counts))
        executed_per_case[kind] = executed
        if show_sql:
            print(f"\n--- {kind}: SQL of one case ---")
            for phase in PHASES:
                statements = meter.queries[phase]
                per = len(statements) // query_cases
                print(f"[{phase}] {per} statements")
                for statement in statements[:per]:
                    print("   ", statement[:240])

    if trace:
        for kind, case in flows.items():
            meter = Meter(capture=True, trace=True)
            check_closed(kind, [case(users, meter)])
            print(f"\n--- {kind}: each statement of one case and the code that issued it ---")
            for phase in PHASES:
                print(f"[{phase}] {len(meter.queries[phase])} statements")
                for statement, where in zip(meter.queries[phase], meter.origins[phase], strict=True):
                    print(f"    {classify(statement):38} {where}")

    # Pass 2: time. The flows alternate case by case, so drift (file growth, other load on the
    # machine) hits both alike; the median of the per-case ratios is reported too.
    time_meters = {kind: Meter(capture=False) for kind in flows}
    case_ms = {kind: [] for kind in flows}
    pks = {kind: [] for kind in flows}
    for _ in range(n):
        for kind, case in flows.items():
            meter = time_meters[kind]
            before, before_executed = meter.total_seconds(), meter.executed
            pks[kind].append(case(users, meter))
            case_ms[kind].append(1000 * (meter.total_seconds() - before))
            executed_per_case[kind].add(meter.executed - before_executed)
    consistent = True
    for kind in flows:
        check_closed(kind, pks[kind])
        if len(executed_per_case[kind]) != 1 or query_spread[kind][0] != query_spread[kind][1]:
            consistent = False
            print(f"WARNING: {kind} cases did not all run the same number of statements: {executed_per_case[kind]}")

    result = {}
    for kind in flows:
        qm, tm = query_meters[kind], time_meters[kind]
        total_seconds = sum(tm.seconds[p] for p in PHASES)
        result[kind] = {
            "cases_per_s": round(n / total_seconds, 2),
            "queries_per_case": round(qm.total_queries() / query_cases, 2),
            "queries_per_case_min_max": list(query_spread[kind]),
            "ms_per_case": round(1000 * total_seconds / n, 3),
            "ms_per_case_median": round(statistics.median(case_ms[kind]), 3),
            # NOTE: a connection opened inside a case (e.g. after the broker closed the request's
            # one) costs a PostgreSQL backend start and authentication: several milliseconds.
            "connections_per_case": round(tm.connections / n, 2),
            "queries_per_phase": {p: round(len(qm.queries[p]) / query_cases, 2) for p in PHASES},
            "ms_per_phase": {p: round(1000 * tm.seconds[p] / n, 3) for p in PHASES},
            "by_statement": per_case(Counter(classify(s) for p in PHASES for s in qm.queries[p]), query_cases),
            "by_phase_statement": {
                p: per_case(Counter(classify(s) for s in qm.queries[p]), query_cases) for p in PHASES
            },
        }
    ours, bare = result["ours"], result["bare"]
    summary = {
        "cases_per_s": ours["cases_per_s"],
        "queries_per_case": ours["queries_per_case"],
        "bare_cases_per_s": bare["cases_per_s"],
        "bare_queries_per_case": bare["queries_per_case"],
        "query_ratio": round(ours["queries_per_case"] / bare["queries_per_case"], 3),
        "time_ratio": round(ours["ms_per_case"] / bare["ms_per_case"], 3),
        "time_ratio_median": round(
            statistics.median(o / b for o, b in zip(case_ms["ours"], case_ms["bare"], strict=True)), 3
        ),
        "vendor": connection.vendor,
        "cases": n,
        "query_cases": query_cases,
        "queries_same_every_case": consistent,
        "ms_per_case": ours["ms_per_case"],
        "bare_ms_per_case": bare["ms_per_case"],
        "connections_per_case": ours["connections_per_case"],
        "bare_connections_per_case": bare["connections_per_case"],
        "ms_per_case_median": ours["ms_per_case_median"],
        "bare_ms_per_case_median": bare["ms_per_case_median"],
        "queries_per_phase": ours["queries_per_phase"],
        "bare_queries_per_phase": bare["queries_per_phase"],
        "ms_per_phase": ours["ms_per_phase"],
        "bare_ms_per_phase": bare["ms_per_phase"],
        "queries_per_case_min_max": ours["queries_per_case_min_max"],
        "bare_queries_per_case_min_max": bare["queries_per_case_min_max"],
        "by_statement": ours["by_statement"],
        "bare_by_statement": bare["by_statement"],
    }
    print_summary(summary, result, breakdown)
    return summary


def print_summary(summary, result, breakdown):
    ours, bare = result["ours"], result["bare"]
    print(
        f"Engine benchmark on {summary['vendor']}, {summary['cases']} purchase cases each (start, 2 approvals, close)"
    )
    print(
        f"  {'':6} {'cases/s':>9} {'ms/case':>9} {'queries/case':>13} {'conns/case':>11}   "
        + "  ".join(f"{p:>9}" for p in PHASES)
    )
    for kind, figures in (("ours", ours), ("bare", bare)):
        phases = "  ".join(f"{figures['queries_per_phase'][p]:>9g}" for p in PHASES)
        print(
            f"  {kind:6} {figures['cases_per_s']:>9.1f} {figures['ms_per_case']:>9.2f} "
            f"{figures['queries_per_case']:>13g} {figures['connections_per_case']:>11g}   {phases}"
        )
    goal = "within" if summary["query_ratio"] <= 1.5 and summary["time_ratio"] <= 1.5 else "OVER"
    print(
        f"  ratio  queries {summary['query_ratio']:.2f}x, time {summary['time_ratio']:.2f}x "
        f"(median per case {summary['time_ratio_median']:.2f}x)  {goal} the 1.5x aim"
    )
    if breakdown:
        keys = sorted(
            set(ours["by_statement"]) | set(bare["by_statement"]),
            key=lambda k: -(ours["by_statement"].get(k, 0) - bare["by_statement"].get(k, 0)),
        )
        print("\n  statements per case        ours   bare  extra")
        for key in keys:
            o, b = ours["by_statement"].get(key, 0), bare["by_statement"].get(key, 0)
            print(f"  {key:42} {o:>6g} {b:>6g} {o - b:>+6g}")
        for phase in PHASES:
            print(f"\n  [{phase}] ours {ours['queries_per_phase'][phase]:g}, bare {bare['queries_per_phase'][phase]:g}")
            op, bp = ours["by_phase_statement"][phase], bare["by_phase_statement"][phase]
            for key in sorted(set(op) | set(bp), key=lambda k: -(op.get(k, 0) - bp.get(k, 0))):
                o, b = op.get(key, 0), bp.get(key, 0)
                print(f"    {key:40} {o:>6g} {b:>6g} {o - b:>+6g}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200, help="measured cases per flow (default 200)")
    parser.add_argument(
        "--query-cases", type=int, default=20, help="cases per flow in the query-counting pass (default 20, at most N)"
    )
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured cases per flow first (default 2)")
    parser.add_argument("--breakdown", action="store_true", help="print queries per case by statement and phase")
    parser.add_argument("--sql", action="store_true", help="print the SQL of one case of each flow")
    parser.add_argument("--trace", action="store_true", help="print which code issued each statement of one case")
    args = parser.parse_args(argv)
    if min(args.cases, args.query_cases) < 1 or args.warmup < 0:
        parser.error("--cases and --query-cases must be positive, --warmup not negative")
    query_cases = min(args.query_cases, args.cases)

    drop = create_database()
    try:
        summary = run(args.cases, query_cases, args.warmup, args.sql, args.breakdown, args.trace)
    finally:
        from django.db import connections

        connections.close_all()
        drop()
    print(json.dumps(summary, sort_keys=False))


if __name__ == "__main__":
    main()
