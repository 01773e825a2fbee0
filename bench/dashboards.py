#!/usr/bin/env python
"""Dashboards benchmark: do the dashboards and the Metrics API stay fast on years of history?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/dashboards.py
    ... bench/dashboards.py --sizes 1000,10000 --repeat 10 --explain plans.txt --keep

On a throwaway PostgreSQL database (created beside the one DATABASE_URL names, as bench/engine.py
does; dropped at the end unless --keep), it builds a history in two steps:

1. Templates, through the real services under a moved clock (time_machine): three weeks of
   weekday traffic on the demo's two workflows, each published in two versions (v2 halfway):
   purchase approvals (manager, finance from 1,000, legal for high-risk vendors) approved,
   rejected, returned and resubmitted, withdrawn, some missing their cost center (sent back at
   once); invoices whose ERP step really calls a local HTTP server answering 200, 422
   (rejected), 401 (configuration), a body without the reference (bad data), or is never called
   (no PO number: missing data), repaired by oscar (retry, retry with data, skip, cancel the
   case); SLA sweeps twice a day (reminders, escalations, breaches when a decision comes late);
   a few test cases by olivia. The cases still open at the end (the last days' traffic) are the
   open templates.
2. Clones in bulk (INSERT ... SELECT ... generate_series, one statement per table and batch):
   every row of the template cases in viewflow_process, cases_case, viewflow_task,
   sla_slaclock, cases_approvaldecision, integrations_steprun and integrations_stepattempt is copied with its ids shifted
   by a per-table stride times the clone number (foreign keys shifted alike) and every
   timestamp, including the `at` of each SLA level in the clocks' JSON, moved back in time.
   Closed templates are laid back-to-back into the past at a steady arrival rate (--per-day
   closed cases a calendar day), so a bigger size means a longer history, not a busier
   quarter; open templates are copied into the last ten days until 2 % of the size is open.
   Not cloned (no dashboard reads them): the cases' field history, audit events,
   notifications, queue messages.

At each size it checks the numbers are sane (test cases never counted), then times, through
Django's test client signed in as oscar (operator) and olivia (workflow owner), with the last
90 days as the filter: /dashboards/, /dashboards/purchase-approval/, each panel's CSV, and
/api/v1/metrics/ with and without a workflow; --repeat requests each after two warm-ups. One
JSON line per size on stdout (p50, p95 in ms and the query count per page), and a last line with
the ratio of p95 largest/smallest size. Aim (issue 13): p95 under 300 ms at 200,000, ratio under 3.
"""

import argparse
import heapq
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

from bench.engine import create_database  # noqa: E402 - after the settings module is chosen

TEMPLATE_DAYS = 21
CASES_PER_WEEKDAY = 24
OPEN_SHARE = 0.02
OPEN_SPREAD_DAYS = 10
RANGE_DAYS = 90
MIN_SAMPLES = 10
# Hours until a decision: mostly within the approval SLA (48 business hours), one in ten late.
DELAYS = [1, 2, 3, 5, 20, 26, 30, 50, 70, 260]
WORKFLOW = "purchase-approval"
TABLES = [
    # table, primary key, {column: table whose stride shifts it}
    ("viewflow_process", "id", {"id": "viewflow_process", "parent_task_id": "viewflow_task"}),
    ("cases_case", "process_ptr_id", {"process_ptr_id": "viewflow_process"}),
    ("viewflow_task", "id", {"id": "viewflow_task", "process_id": "viewflow_process"}),
    ("sla_slaclock", "id", {"id": "sla_slaclock", "case_id": "viewflow_process", "task_id": "viewflow_task"}),
    ("cases_approvaldecision", "task_id", {"task_id": "viewflow_task", "case_id": "viewflow_process"}),
    (
        "integrations_steprun",
        "id",
        {
            "id": "integrations_steprun",
            "case_id": "viewflow_process",
            "task_id": "viewflow_task",
            "undo_of_id": "integrations_steprun",
        },
    ),
    ("integrations_stepattempt", "id", {"id": "integrations_stepattempt", "run_id": "integrations_steprun"}),
]
# The rows of the template cases, table by table (the case ids are in the temporary table tpl).
TEMPLATE_ROWS = {
    "viewflow_process": "t.id IN (SELECT id FROM tpl)",
    "cases_case": "t.process_ptr_id IN (SELECT id FROM tpl)",
    "viewflow_task": "t.process_id IN (SELECT id FROM tpl)",
    "sla_slaclock": "t.case_id IN (SELECT id FROM tpl)",
    "cases_approvaldecision": "t.case_id IN (SELECT id FROM tpl)",
    "integrations_steprun": "t.case_id IN (SELECT id FROM tpl)",
    "integrations_stepattempt": "t.run_id IN (SELECT r.id FROM integrations_steprun r WHERE r.case_id IN (SELECT id FROM tpl))",
}


# --- templates through the services --------------------------------------------------------------


class Erp:
    """A local ERP answering the invoice step as told: `answer(status, body)` before each call."""

    def __init__(self):
        import logging

        from pytest_httpserver import HTTPServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        from werkzeug.wrappers import Response

        self.status, self.body = 200, {"reference": "ERP-1"}
        self.server = HTTPServer(host="127.0.0.1", port=0)
        self.server.expect_request("/erp/invoices").respond_with_handler(
            lambda request: Response(json.dumps(self.body), status=self.status, content_type="application/json")
        )
        self.server.start()

    def answer(self, status: int, body: dict) -> None:
        self.status, self.body = status, body

    @property
    def url(self) -> str:
        return self.server.url_for("/erp")

    def stop(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()


class History:
    """Events at moments, run in time order under time_machine; events after `end` never run."""

    def __init__(self, end: datetime):
        self.end = end
        self.queue: list = []
        self.counter = 0
        self.errors: dict[str, int] = {}

    def at(self, moment: datetime, action, *args) -> None:
        self.counter += 1
        heapq.heappush(self.queue, (moment, self.counter, action, args))

    def run(self) -> None:
        import time_machine

        while self.queue:
            moment, _, action, args = heapq.heappop(self.queue)
            if moment >= self.end:
                continue
            with time_machine.travel(moment, tick=False):
                try:
                    action(moment, *args)
                except Exception as error:  # a template that could not go on stays as it is
                    name = f"{action.__name__}: {type(error).__name__}: {str(error)[:80]}"
                    self.errors[name] = self.errors.get(name, 0) + 1


def build_templates(rng: random.Random) -> dict:
    """Three weeks of traffic through the services; returns the people and counts."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import override_settings
    from viewflow.workflow.models import Task

    from apps.automation.attempts import step_attempt
    from apps.automation.models import StepRun, StepStatus
    from apps.automation.repair import step_cancel_case, step_retry, step_skip
    from apps.cases.flows import CaseFlow
    from apps.cases.models import Case
    from apps.cases.policy import OPEN_TASK_STATUSES
    from apps.cases.services import case_start, case_start_test, case_withdraw, task_complete
    from apps.definitions.selectors import version_live
    from apps.definitions.services import draft_create_from, version_publish
    from apps.demo.management.commands.seed_demo import seed_demo_data
    from apps.sla.sweeper import sla_sweep

    call_command("migrate", verbosity=0)
    seed_demo_data()
    people = {u.username: u for u in get_user_model().objects.all()}
    by_role = {"role:finance": ["fiona", "frank"], "role:legal": ["leo"]}
    erp = Erp()
    now = datetime.now(UTC).replace(microsecond=0)
    first = (now - timedelta(days=TEMPLATE_DAYS)).replace(hour=7, minute=0, second=0)
    history = History(end=now - timedelta(minutes=5))

    def fresh(name):
        return get_user_model().objects.get(username=name)

    def open_tasks(case_id):
        return list(
            Task.objects.filter(
                process_id=case_id,
                status__in=OPEN_TASK_STATUSES,
                flow_task__in=[CaseFlow.approve, CaseFlow.rework],
            ).order_by("id")
        )

    def actor_for(task):
        if task.owner_id:
            return fresh(task.owner.username)
        return fresh(rng.choice(by_role.get(task.owner_permission, ["oscar"])))

    def publish_v2(moment):
        for key in ("purchase-approval", "invoice-processing"):
            version_publish(
                version=draft_create_from(version=version_live(key=key), actor=people["olivia"]), actor=people["olivia"]
            )

    def sweep(moment):
        sla_sweep(at=moment)

    def decide(moment, case_id, plan):
        """Decide the case's open tasks as `plan` says: approve, reject, return, submit."""
        tasks = open_tasks(case_id)
        if not tasks:
            return
        step = plan.pop(0) if plan else "approve"
        if tasks[0].data.get("kind") == "rework":
            purchase = Case.objects.filter(pk=case_id, workflow_key="purchase-approval").exists()
            data = {"cost_center": "CC-7"} if purchase else {}
            task_complete(task_id=tasks[0].pk, actor=fresh("alice"), decision="submit", data=data)
        elif step == "reject":
            task_complete(
                task_id=tasks[0].pk,
                actor=actor_for(tasks[0]),
                decision="reject",
                reason="Not this quarter",
                reason_code="other",
            )
        elif step == "return":
            task_complete(task_id=tasks[0].pk, actor=actor_for(tasks[0]), decision="return", reason="Add the quote")
        else:
            for task in tasks:
                task_complete(task_id=task.pk, actor=actor_for(task), decision="approve")
        if open_tasks(case_id):
            history.at(moment + timedelta(hours=rng.choice(DELAYS)), decide, case_id, plan)

    def withdraw(moment, case_id):
        case_withdraw(case_id=case_id, actor=fresh("alice"), reason="Not needed any more")

    def attempt(moment, run_id, status, body):
        erp.answer(status, body)
        step_attempt(run_id=run_id)

    def repair(moment, case_id, how):
        run = StepRun.objects.filter(case_id=case_id, status=StepStatus.EXCEPTION).first()
        if run is None:
            return
        oscar = fresh("oscar")
        if how == "cancel":
            step_cancel_case(run_id=run.pk, actor=oscar, reason="The vendor withdrew the invoice")
            return
        if how == "skip":
            step_skip(run_id=run.pk, actor=oscar, reason="Booked in the ERP by hand")
        else:
            step_retry(
                run_id=run.pk, actor=oscar, data={"po_number": "PO-99"} if how == "data" else None, note="ERP fixed"
            )
            erp.answer(200, {"reference": f"ERP-{run.pk}"})
            step_attempt(run_id=run.pk)
        history.at(moment + timedelta(hours=rng.choice([2, 6, 24])), decide, case_id, ["approve"])

    def start(moment, n):
        alice = fresh("alice")
        roll = rng.random()
        plan = ["approve"]
        if roll < 0.12:
            plan = ["reject"]
        elif roll < 0.24:
            plan = ["return", "submit", "approve"]
        if n % 3 == 2:  # an invoice
            po = "" if rng.random() < 0.08 else f"PO-{n}"
            data = {
                "invoice_number": f"INV-{n}",
                "vendor": "ACME",
                "amount": rng.choice(["300", "800", "2500"]),
                "po_number": po,
            }
            case, _ = case_start(workflow="invoice-processing", data=data, actor=alice)
            run = StepRun.objects.filter(case_id=case.pk).first()
            answer = rng.random()
            status, body, how = 200, {"reference": f"ERP-{n}"}, None
            if not po:
                how = "data"
            elif answer < 0.08:
                status, body, how = 422, {"message": "Unknown vendor"}, rng.choice(["retry", "cancel"])
            elif answer < 0.12:
                status, body, how = 401, {"message": "Token expired"}, "retry"
            elif answer < 0.16:
                status, body, how = 200, {"ref": "?"}, "skip"
            if run is not None:
                attempt(moment, run.pk, status, body)
            if how:
                history.at(moment + timedelta(hours=rng.choice([1, 3, 20])), repair, case.pk, how)
            else:
                history.at(moment + timedelta(hours=rng.choice(DELAYS)), decide, case.pk, plan)
            return
        data = {
            "amount": rng.choice(["250", "900", "1500", "6000"]),
            "vendor": "ACME",
            "vendor_risk": "high" if rng.random() < 0.1 else "low",
        }
        if rng.random() > 0.08:
            data["cost_center"] = "CC-1"
        case, _ = case_start(workflow="purchase-approval", data=data, actor=alice)
        if roll > 0.95:
            history.at(moment + timedelta(hours=2), withdraw, case.pk)
        else:
            history.at(moment + timedelta(hours=rng.choice(DELAYS)), decide, case.pk, plan)

    def start_test(moment, n):
        olivia = fresh("olivia")
        version = version_live(key="purchase-approval")
        case = case_start_test(
            version=version, data={"amount": "5000", "vendor": "T", "cost_center": "CC"}, actor=olivia
        )
        if n % 2:
            for task in open_tasks(case.pk):
                task_complete(task_id=task.pk, actor=olivia, decision="approve")

    n = 0
    for day in range(TEMPLATE_DAYS + 1):
        midnight = first + timedelta(days=day)
        history.at(midnight + timedelta(hours=1), sweep)
        history.at(midnight + timedelta(hours=8), sweep)
        if day == TEMPLATE_DAYS // 2:
            history.at(midnight - timedelta(hours=1), publish_v2)
        if midnight.weekday() >= 5:
            continue
        for _ in range(CASES_PER_WEEKDAY):
            n += 1
            history.at(midnight + timedelta(minutes=rng.randrange(8 * 60)), start, n)
        history.at(midnight + timedelta(hours=3), start_test, day)
    try:
        with override_settings(WMS_ENDPOINTS={"ERP": erp.url}):
            history.run()
    finally:
        erp.stop()
    real = Case.objects.filter(is_test=False)
    return {
        "people": {name: people[name].pk for name in ("oscar", "olivia")},
        "template_closed": real.filter(finished__isnull=False).count(),
        "template_open": real.filter(finished__isnull=True).count(),
        "template_test": Case.objects.filter(is_test=True).count(),
        "template_errors": history.errors,
        "template_first": first,
        "template_end": history.end,
    }


# --- clones in bulk -------------------------------------------------------------------------------


def columns(cursor, table: str) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return cursor.fetchall()


class Cloner:
    """Copies the template cases' rows with shifted ids and timestamps (module docstring)."""

    def __init__(self, cursor):
        self.cursor = cursor
        self.strides = {}
        for table, key, _ in TABLES:
            cursor.execute(f'SELECT COALESCE(MAX("{key}"), 0) + 1 FROM "{table}"')
            self.strides[table] = cursor.fetchone()[0]
        self.strides["viewflow_process"] = max(self.strides["viewflow_process"], self.strides["cases_case"])
        self.next_round = 1

    def _copy(self, template_where: str, rounds: int, shift_sql: str) -> None:
        """Copy the template cases selected by `template_where` (on cases_case c) `rounds` times;
        `shift_sql` is the interval each copy moves back, an SQL expression of the copy number g
        (from 1) ."""
        cursor = self.cursor
        cursor.execute("DROP TABLE IF EXISTS tpl")
        cursor.execute(
            f"CREATE TEMPORARY TABLE tpl AS SELECT c.process_ptr_id AS id FROM cases_case c JOIN viewflow_process p ON p.id = c.process_ptr_id WHERE c.process_ptr_id < {self.strides['viewflow_process']} AND {template_where}"
        )
        g0 = self.next_round
        self.next_round += rounds
        for table, _key, ids in TABLES:
            names, values = [], []
            for name, kind in columns(cursor, table):
                names.append(f'"{name}"')
                if name in ids:
                    values.append(f't."{name}" + (g.n + {g0 - 1})::bigint * {self.strides[ids[name]]}')
                elif kind == "timestamp with time zone":
                    values.append(f't."{name}" - ({shift_sql})')
                elif table == "sla_slaclock" and name == "levels":
                    values.append(_shifted_levels(shift_sql))
                elif table == "cases_case" and name == "idempotency_key":
                    values.append("NULL")
                elif table == "integrations_steprun" and name == "idempotency_key":
                    values.append(f"t.\"{name}\" || '-' || (g.n + {g0 - 1})")
                else:
                    # The case's metric facts (returned_count, had_exception, cycle_hours,
                    # cycle_business_hours) are copied as they are: a copy's created and finished
                    # move together, so its returns, exception and wall-clock cycle are its
                    # template's; its business hours are too (not recomputed for the moved days).
                    values.append(f't."{name}"')
            cursor.execute(
                f'INSERT INTO "{table}" ({", ".join(names)}) SELECT {", ".join(values)} '
                f'FROM "{table}" t, generate_series(1, %s) AS g(n) WHERE {TEMPLATE_ROWS[table]}',
                [rounds],
            )

    def closed(self, rounds: int, first_shift_rank: int, shift_seconds: float) -> None:
        """Closed templates, copy k moved back (first_shift_rank + k) x shift_seconds."""
        self._copy(
            "p.finished IS NOT NULL",
            rounds,
            f"((g.n + {first_shift_rank - 1}) * {shift_seconds}) * interval '1 second'",
        )

    def open(self, rounds: int) -> None:
        """Open templates, copies spread over the last OPEN_SPREAD_DAYS days."""
        self._copy(
            "p.finished IS NULL",
            rounds,
            f"((g.n * 7919) %% ({OPEN_SPREAD_DAYS} * 86400)) * interval '1 second'",
        )

    def finish(self) -> None:
        from django.db import DatabaseError

        for table, key, _ in TABLES:
            self.cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{key}'), (SELECT MAX(\"{key}\") FROM \"{table}\"))"
            )
        self.cursor.execute("VACUUM ANALYZE")
        # Write out what the bulk copy dirtied now, so the timings that follow do not share the
        # disk with the checkpointer flushing a million rows (the 200k pages measured 30-50 %
        # slower right after the build than a few minutes later). Needs a superuser or
        # pg_checkpoint; without it the measurement runs as before.
        try:
            self.cursor.execute("CHECKPOINT")
        except DatabaseError as refused:
            print(f"no CHECKPOINT after the build: {refused}".strip(), file=sys.stderr)


def _shifted_levels(shift_sql: str) -> str:
    """The clock's levels JSON with each level's `at` moved back as the row's timestamps are."""
    moved = (
        "to_char(((l->>'at')::timestamptz - (" + shift_sql + ")) AT TIME ZONE 'UTC', "
        '\'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"\')'
    )
    return (
        "(SELECT COALESCE(jsonb_agg(CASE WHEN l ? 'at' THEN jsonb_set(l, '{at}', to_jsonb(" + moved + ")) "
        "ELSE l END ORDER BY o), '[]'::jsonb) FROM jsonb_array_elements(t.levels) WITH ORDINALITY AS e(l, o))"
    )


def grow(cursor, cloner: Cloner, ctx: dict, size: int, per_day: int) -> dict:
    """Add clones until there are about `size` real cases, 2 % of them open."""
    cursor.execute(
        "SELECT count(*) FILTER (WHERE p.finished IS NOT NULL), count(*) FILTER (WHERE p.finished IS NULL) "
        "FROM cases_case c JOIN viewflow_process p ON p.id = c.process_ptr_id WHERE NOT c.is_test"
    )
    closed, open_ = cursor.fetchone()
    want_open = round(size * OPEN_SHARE)
    want_closed = size - want_open
    # Copy k of the closed templates moves back k x (closed templates / per_day) days: copies
    # overlap so that the history holds per_day closed cases a calendar day, however long it is.
    shift = ctx["template_closed"] / per_day * 86400
    rounds = max(0, round((want_closed - closed) / ctx["template_closed"]))
    if rounds:
        cloner.closed(rounds, ctx["closed_rounds"] + 1, shift)
        ctx["closed_rounds"] += rounds
    rounds = max(0, round((want_open - open_) / max(ctx["template_open"], 1)))
    if rounds:
        cloner.open(rounds)
    cloner.finish()
    cursor.execute(
        "SELECT count(*) FILTER (WHERE p.finished IS NOT NULL AND NOT c.is_test), "
        "count(*) FILTER (WHERE p.finished IS NULL AND NOT c.is_test), count(*) FILTER (WHERE c.is_test), "
        "min(p.created) FROM cases_case c JOIN viewflow_process p ON p.id = c.process_ptr_id"
    )
    closed, open_, tests, oldest = cursor.fetchone()
    counts = {}
    for table, _, _ in TABLES:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return {
        "closed": closed,
        "open": open_,
        "test": tests,
        "history_days": (datetime.now(UTC) - oldest).days,
        "rows": counts,
    }


# --- measuring ------------------------------------------------------------------------------------


def pages(range_params: str) -> list[tuple[str, str, str]]:
    """(name, user, url) of every measured request."""
    from apps.dashboards.panels import PANELS

    found = []
    for user in ("oscar", "olivia"):
        found += [
            (f"dashboard_all.{user}", user, f"/dashboards/?{range_params}"),
            (f"dashboard_workflow.{user}", user, f"/dashboards/{WORKFLOW}/?{range_params}"),
            (f"api_metrics.{user}", user, f"/api/v1/metrics/?{range_params}"),
            (f"api_metrics_workflow.{user}", user, f"/api/v1/metrics/?workflow={WORKFLOW}&{range_params}"),
        ]
    found += [(f"csv_{key}.oscar", "oscar", f"/dashboards/{key}.csv?{range_params}") for key in PANELS]
    found += [
        (f"csv_workflow_{key}.oscar", "oscar", f"/dashboards/{WORKFLOW}/{key}.csv?{range_params}") for key in PANELS
    ]
    return found


def measure(ctx: dict, repeat: int, budget_seconds: float, only: str = "") -> dict:
    """p50, p95 (ms), statements and samples per page: `repeat` requests after two warm-ups, fewer
    (at least MIN_SAMPLES) when a page's samples take over `budget_seconds`."""
    from django.contrib.auth import get_user_model
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    today = timezone.localdate()
    range_params = f"from={(today - timedelta(days=RANGE_DAYS - 1)).isoformat()}&to={today.isoformat()}"
    clients = {}
    for name, pk in ctx["people"].items():
        clients[name] = Client()
        clients[name].force_login(get_user_model().objects.get(pk=pk))
    results = {}
    for name, user, url in pages(range_params):
        if only and only not in name:
            continue
        client = clients[user]
        for _ in range(2):
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url} as {user}: {response.status_code} {response.content[:300]!r}")
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        statements = len(captured.captured_queries)  # read now: the next request clears the log
        samples = []
        budget = time.perf_counter() + budget_seconds
        for _ in range(repeat):
            started = time.perf_counter()
            client.get(url)
            samples.append((time.perf_counter() - started) * 1000)
            if len(samples) >= MIN_SAMPLES and time.perf_counter() > budget:
                break
        samples.sort()
        results[name] = {
            "p50": round(statistics.median(samples), 1),
            "p95": round(samples[max(0, int(len(samples) * 0.95 + 0.5) - 1)], 1),
            "queries": statements,
            "n": len(samples),
        }
        print(f"  {name:40} {json.dumps(results[name])}", file=sys.stderr)
    return results


def check_numbers(ctx: dict) -> dict:
    """What the operator's API says over all time: test cases never counted."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from apps.cases.models import Case

    client = Client()
    client.force_login(get_user_model().objects.get(pk=ctx["people"]["oscar"]))
    body = client.get("/api/v1/metrics/").json()
    real_closed = Case.objects.filter(is_test=False, finished__isnull=False, outcome__isnull=False).count()
    if body["cycle_time_hours"]["count"] != real_closed:
        raise SystemExit(f"closed cases counted {body['cycle_time_hours']['count']}, real ones {real_closed}")
    return {
        "closed": body["cycle_time_hours"]["count"],
        "open": body["wip"]["open"],
        "outcomes": body["outcomes"],
        "sla": body["sla"],
        "exception_rate": body["exception_rate"],
        "rework_rate": body["rework_rate"],
        "exceptions": body["exceptions"],
    }


def explain(ctx: dict, out, slowest: int = 8) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest statements of every measured page."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    today = timezone.localdate()
    range_params = f"from={(today - timedelta(days=RANGE_DAYS - 1)).isoformat()}&to={today.isoformat()}"
    clients = {}
    for name, pk in ctx["people"].items():
        clients[name] = Client()
        clients[name].force_login(get_user_model().objects.get(pk=pk))
    seen = {}
    for name, user, url in pages(range_params):
        with CaptureQueriesContext(connection) as captured:
            clients[user].get(url)
        for query in captured.captured_queries:
            sql = query["sql"]
            if sql.startswith("SELECT") and sql not in seen:
                seen[sql] = (float(query["time"]), name)
    with connection.cursor() as cursor:
        for sql, (took, name) in sorted(seen.items(), key=lambda item: -item[1][0])[: slowest * 3]:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            out.write(f"-- {name} ({took * 1000:.0f} ms in the page)\n{sql}\n{plan}\n\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,200000", help="comma-separated numbers of real cases")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page (after 2 warm-ups)")
    parser.add_argument("--budget", type=float, default=60, help="seconds of timed requests per page at most")
    parser.add_argument("--per-day", type=int, default=150, help="closed cases per calendar day of history")
    parser.add_argument("--only", default="", help="measure only the pages whose name contains this")
    parser.add_argument("--explain", help="write EXPLAIN (ANALYZE, BUFFERS) of the slowest statements here")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    if not (os.environ.get("DATABASE_URL") or "").startswith("postgres"):
        raise SystemExit("bench/dashboards.py measures PostgreSQL: set DATABASE_URL=postgres://...")
    drop = create_database()
    print(f"database {os.environ['BENCH_DB_NAME']}", file=sys.stderr)
    try:
        import django

        django.setup()
        from django.db import connection

        started = time.perf_counter()
        ctx = build_templates(random.Random(args.seed))
        ctx["closed_rounds"] = 0
        print(
            f"templates in {time.perf_counter() - started:.0f} s: {ctx['template_closed']} closed, "
            f"{ctx['template_open']} open, {ctx['template_test']} test; errors {ctx['template_errors']}",
            file=sys.stderr,
        )
        with connection.cursor() as cursor:
            cloner = Cloner(cursor)
        results = {}
        for size in sizes:
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cloner.cursor = cursor
                built = grow(cursor, cloner, ctx, size, args.per_day)
            built["seconds"] = round(time.perf_counter() - started)
            built["numbers"] = check_numbers(ctx)
            print(f"{size} cases: {json.dumps(built, default=str)}", file=sys.stderr)
            # Measure on a new connection, as a web process has: the server process that ran the
            # bulk copy answered the same statements 30-100 % slower (the sla CSV at 200k: 53 ms
            # on it, 36 ms on a new one).
            connection.close()
            results[size] = measure(ctx, args.repeat, args.budget, args.only)
            line = {
                "size": size,
                "vendor": connection.vendor,
                "closed": built["closed"],
                "open": built["open"],
                "history_days": built["history_days"],
                "range_days": RANGE_DAYS,
                "repeat": args.repeat,
                "load": round(os.getloadavg()[0], 2),
                "p95_ms": {name: r["p95"] for name, r in results[size].items()},
                "p50_ms": {name: r["p50"] for name, r in results[size].items()},
                "queries": {name: r["queries"] for name, r in results[size].items()},
                "samples": {name: r["n"] for name, r in results[size].items()},
            }
            print(json.dumps(line), flush=True)
        if args.explain:
            with open(args.explain, "w") as out:
                explain(ctx, out)
        small, large = sizes[0], sizes[-1]
        if small != large:
            print(
                json.dumps(
                    {
                        "sizes": [small, large],
                        "p95_ratio": {
                            name: round(results[large][name]["p95"] / max(results[small][name]["p95"], 0.1), 2)
                            for name in results[large]
                        },
                        "over_300ms": sorted(n for n, r in results[large].items() if r["p95"] > 300),
                    }
                )
            )
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"kept database {os.environ['BENCH_DB_NAME']}", file=sys.stderr)
        else:
            drop()


if __name__ == "__main__":
    main()
