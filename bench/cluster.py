#!/usr/bin/env python
"""Cluster run: the production start with two web and two worker processes on PostgreSQL and
Redis; cases move through both and every number agrees.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres Q2_REDIS_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python bench/cluster.py --cases 20

It creates a throwaway database (`wms_cluster_<pid>`, beside the one DATABASE_URL names, dropped at
the end) and runs the Procfile's own commands with `wms.settings.production`: `release` (migrate,
collectstatic), then `web` twice (gunicorn, two ports on 127.0.0.1) and `worker` twice (qcluster,
Redis broker under a queue name of its own, Q2_NAME, so nothing else on that Redis is touched). The
client plays a TLS proxy (X-Forwarded-Proto: https; the processes speak plain HTTP on loopback, so
SECURE_SSL_REDIRECT is off) and alternates every call between the two web processes: alice starts
purchase approvals and invoices (whose "Validate in ERP" step the workers call on the demo ERP of
the first web process), bob and finance decide them with their own tokens, every fifth is rejected.

Then it checks, from the database: every case reached its expected end exactly once (one start, one
close, one decision per decided task, no decision after the close), the ERP booked each invoice
once and undid each rejected one once, both web processes served the pages' static files
(collected, hashed) and requests, the schedules ran in the workers without a scheduler process of
their own and never twice at once; and from both web processes: the API's case list (count, states
and each case's audit trail) equals the database, /metrics reports the database's cases and open
tasks and a request histogram that counts exactly the API requests this client got answered by
that gunicorn (summed over its processes), the metrics API agrees where there is one, and
/health/ answers 200.

The last line of stdout is one JSON object; the exit status is 0 when every check held, 1 naming
the failed checks on stderr (2: could not run). Every process started is in its own process group,
ended in `finally` (and on SIGTERM), and told to end if this script dies (PR_SET_PDEATHSIG).
"""

import argparse
import ctypes
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
PASSWORD = "demo"
PEOPLE = ("alice", "bob", "fiona", "frank", "audrey", "oscar")
PURCHASE = {"amount": "5000", "vendor": "ACME", "cost_center": "CC-1"}  # manager bob + finance
INVOICE = {"vendor": "ACME Ltd", "amount": "1200.00"}  # the ERP's vendor master knows ACME Ltd
REJECT_EVERY = 5
CALL_TRIES = 20


def log(message: str) -> None:
    print(f"[cluster {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Failed(Exception):
    """The run could not be made (exit 2), as opposed to a check that failed (exit 1)."""


# --- database and Redis --------------------------------------------------------------------------


def _pg() -> dict:
    import dj_database_url

    config = dj_database_url.parse(os.environ.get("DATABASE_URL", ""))
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise Failed("DATABASE_URL must name a PostgreSQL database (the cluster needs real row locks)")
    if str(config.get("HOST") or "localhost") not in ("localhost", HOST):
        raise Failed("bench/cluster.py runs against a PostgreSQL on this machine only (127.0.0.1)")
    return {k: v for k, v in config.items() if k in ("NAME", "USER", "PASSWORD", "HOST", "PORT") and v}


def _admin(pg: dict, statement) -> list:
    import psycopg

    # The maintenance database: the one DATABASE_URL names need not exist (pytest-django's test_<name> does).
    params = {"dbname": "postgres", "user": pg.get("USER"), "password": pg.get("PASSWORD")}
    params.update(host=pg.get("HOST") or HOST, port=pg.get("PORT") or 5432, connect_timeout=5)
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        cursor = conn.execute(statement)
        return cursor.fetchall() if cursor.description else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def drop_leftovers(pg: dict, redis_client) -> list[str]:
    """Databases and queues of earlier runs that were killed before they could clean up (SIGKILL
    spares nothing but the processes, which PR_SET_PDEATHSIG ends): those whose run is gone."""
    names = [r[0] for r in _admin(pg, "SELECT datname FROM pg_database WHERE datname LIKE 'wms_cluster_%'")]
    dropped = []
    for name in names:
        pid = name.removeprefix("wms_cluster_")
        if pid.isdigit() and not _alive(int(pid)):
            _admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            dropped.append(name)
    for key in redis_client.scan_iter(match="django_q:wms_cluster_*"):
        pid = key.decode().split(":")[1].removeprefix("wms_cluster_")
        if pid.isdigit() and not _alive(int(pid)):
            redis_client.delete(key)
    return dropped


def _db_url(pg: dict, name: str) -> str:
    auth = pg.get("USER", "postgres") + (f":{pg['PASSWORD']}" if pg.get("PASSWORD") else "")
    return f"postgres://{auth}@{pg.get('HOST') or HOST}:{pg.get('PORT') or 5432}/{name}"


def _redis(url: str):
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    host = client.connection_pool.connection_kwargs.get("host", HOST)
    if host not in ("localhost", HOST):
        raise Failed("bench/cluster.py uses a Redis on this machine only (127.0.0.1)")
    try:
        client.ping()
    except redis.RedisError as error:
        raise Failed(f"Redis at {url} does not answer: {error}") from None
    return client


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# --- the processes -------------------------------------------------------------------------------


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(":", 1) for line in lines if line.strip() and not line.startswith("#"))


def _die_with_parent() -> None:
    """In the child: SIGTERM when this script ends, however it ends (Linux's PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except OSError:
        pass


class Processes:
    """What this run started, each in its own process group (a gunicorn or a qcluster and its children)."""

    def __init__(self, env: dict, logs: Path):
        self.env, self.logs, self.procs = env, logs, []

    def run(self, name: str, command: str, *, serve: bool = True, **env) -> subprocess.Popen:
        """Start a Procfile command (a shell command line); a server replaces its shell (exec), so
        gunicorn or qcluster gets the SIGTERM itself."""
        out = open(self.logs / f"{len(self.procs) + 1:02d}-{name}.log", "wb")
        proc = subprocess.Popen(
            ["sh", "-c", f"exec {command.strip()}" if serve else command.strip()],
            cwd=ROOT,
            env={**self.env, **env},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        proc.name, proc.log, proc.serves = name, out, serve
        self.procs.append(proc)
        return proc

    def once(self, name: str, command: str, timeout: float) -> None:
        proc = self.run(name, command, serve=False)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = "timeout"
        if code != 0:
            raise Failed(f"{name} ({command.strip()}) ended with {code}; see {proc.log.name}")

    def dead(self) -> list[str]:
        return [f"{p.name} (exit {p.returncode})" for p in self.procs if p.serves and p.poll() is not None]

    def stop(self) -> None:
        """SIGTERM each gunicorn and qcluster (they end their own children gracefully), then SIGKILL
        whatever is left in their process groups."""
        for proc in self.procs:
            try:
                os.kill(
                    proc.pid, signal.SIGTERM
                )  # NOTE: not the group: a q2 worker told directly hangs its cluster's stop
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 15
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the group: children of a master that is gone too
            except ProcessLookupError:
                pass
            proc.wait(timeout=30)
            proc.log.close()


# --- the clients ---------------------------------------------------------------------------------


class Web:
    """Round-robin over the web processes; counts the API answers each gave (to compare with the
    request histogram each one's /metrics reports)."""

    def __init__(self, bases: list[str]):
        self.bases, self._next, self.answered = bases, itertools.cycle(bases), Counter()
        self.lock = threading.Lock()

    def pick(self) -> str:
        with self.lock:
            return next(self._next)

    def count(self, base: str) -> None:
        with self.lock:
            self.answered[base] += 1


class Api:
    """One person's API client (their own token), each call to the next web process."""

    retries = Counter()

    def __init__(self, web: Web, username: str):
        self.web, self.username, self.local, self.token = web, username, threading.local(), None
        self.token = self.call("POST", "/api/v1/auth/token/", json={"username": username, "password": PASSWORD})
        self.token = self.token.json()["token"]

    @property
    def session(self):
        import requests

        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
            session.trust_env = False  # never through a proxy: traffic stays on 127.0.0.1
            session.headers["X-Forwarded-Proto"] = "https"  # as the TLS proxy in front would say
        if self.token:
            session.headers["Authorization"] = f"Token {self.token}"
        return session

    def call(self, method: str, path: str, *, base: str | None = None, ok=(200, 201), settle=(), **kwargs):
        """The answer once it is one of `ok`, or of `settle` (a known end, e.g. 409: already decided)."""
        import requests

        for _ in range(CALL_TRIES):
            where = base or self.web.pick()
            try:
                answer = self.session.request(method, where + path, timeout=30, **kwargs)
            except requests.ConnectionError:
                self.retries["connection_error"] += 1
            else:
                if path.startswith("/api/"):
                    self.web.count(where)
                if answer.status_code in ok or answer.status_code in settle:
                    return answer
                if answer.status_code not in (429, 503):
                    raise RuntimeError(f"{self.username} {method} {path}: {answer.status_code} {answer.text[:300]}")
                self.retries[f"http_{answer.status_code}"] += 1
            time.sleep(0.3)
        raise RuntimeError(f"{self.username} {method} {path}: no answer after {CALL_TRIES} tries")


def expected_state(n: int) -> str:
    return "rejected" if n % REJECT_EVERY == 0 else "approved"


def drive_case(n: int, apis: dict, run_tag: str, deadline: float) -> dict:
    """Start case n as alice and decide its approvals (the manager's first) until it closes."""
    invoice = n % 2 == 0
    workflow = "invoice-processing" if invoice else "purchase-approval"
    data = {**INVOICE, "invoice_number": f"INV-{run_tag}-{n}", "po_number": f"PO-{n}"} if invoice else PURCHASE
    started = apis["alice"].call(
        "POST",
        "/api/v1/cases/",
        json={"workflow": workflow, "data": data},
        headers={"Idempotency-Key": f"{run_tag}-{n}"},
    )
    case_id = started.json()["id"]
    finance = apis["fiona"] if n % 4 < 2 else apis["frank"]
    decision = "reject" if expected_state(n) == "rejected" else "approve"
    while time.monotonic() < deadline:
        case = apis["alice"].call("GET", f"/api/v1/cases/{case_id}/").json()
        if case["closed"]:
            return {"n": n, "case": case_id, "workflow": workflow, "state": case["state"]}
        todo = [t for t in case["open_tasks"] if t["status"] == "open" and t["kind"] == "approval"]
        todo.sort(key=lambda t: t["assignee"] != "bob")  # the manager decides first
        for task in todo[:1]:  # one decision, then look again: a rejection closes the case
            if task["assignee"] is None:
                finance.call("POST", f"/api/v1/tasks/{task['id']}/claim/", settle=(409,))
                actor = finance
            else:
                actor = apis.get(task["assignee"])
                if actor is None:
                    raise RuntimeError(f"case {case_id}: task {task['id']} went to {task['assignee']}")
            body = {"decision": decision if actor.username == "bob" else "approve", "reason": "cluster run"}
            actor.call("POST", f"/api/v1/tasks/{task['id']}/complete/", json=body, settle=(409,))
        if not todo:
            time.sleep(0.2)  # the ERP step is with a worker
    return {"n": n, "case": case_id, "workflow": workflow, "state": "unfinished"}


# --- the checks ----------------------------------------------------------------------------------


def check_cases(outcomes: list[dict], problems: list[str]) -> Counter:
    """Each case from the database: its end, its audit trail, its ERP booking."""
    from django.db import connections
    from viewflow.workflow.status import STATUS

    from apps.audit.models import Action, AuditEvent
    from apps.automation.models import StepKind, StepRun, StepStatus
    from apps.cases.models import Case
    from apps.demo.models import ErpInvoice

    connections.close_all()
    counts = Counter()
    by_id = {o["case"]: o for o in outcomes}
    cases = {c.pk: c for c in Case.objects.filter(pk__in=by_id)}
    trails = {pk: [] for pk in cases}
    for event in AuditEvent.objects.filter(case_id__in=cases).order_by("at", "id"):
        trails[event.case_id].append(event)
    for pk, outcome in sorted(by_id.items()):
        case, expected, trail = cases.get(pk), expected_state(outcome["n"]), trails.get(pk, [])
        if case is None:
            problems.append(f"case {pk} is not in the database")
            continue
        counts[case.state] += 1
        if case.state != expected:
            problems.append(f"case {pk} ({outcome['workflow']}) is {case.state}, expected {expected}")
        if case.is_open:
            continue  # named above; nothing more to learn from a case still under way
        open_tasks = case.task_set.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]).count()
        if open_tasks:
            problems.append(f"case {pk} is {case.state} with {open_tasks} open tasks")
        actions = [e.action for e in trail]
        if actions[:1] != [Action.CASE_STARTED] or actions.count(Action.CASE_STARTED) != 1:
            problems.append(f"case {pk}: trail does not begin with its one start: {actions}")
        closes = [i for i, e in enumerate(trail) if e.action == Action.CASE_CLOSED]
        if len(closes) != 1:
            problems.append(f"case {pk}: closed {len(closes)} times in its trail")
        elif trail[closes[0]].context.get("outcome") != case.outcome:
            problems.append(f"case {pk}: trail closes it {trail[closes[0]].context}, the case says {case.outcome}")
        decided = Counter(e.task_id for e in trail if e.action == Action.TASK_DECIDED)
        counts["decisions"] += sum(decided.values())
        if any(n > 1 for n in decided.values()):
            problems.append(f"case {pk}: a task decided twice: {dict(decided)}")
        wanted = 1 if expected == "rejected" else 2  # the manager's rejection ends it at once
        if sum(decided.values()) != wanted:
            problems.append(f"case {pk}: {sum(decided.values())} decisions, expected {wanted}")
        if closes and any(e.action == Action.TASK_DECIDED for e in trail[closes[0] :]):
            problems.append(f"case {pk}: a decision recorded after the close")
        if outcome["workflow"] != "invoice-processing":
            continue
        runs = list(StepRun.objects.filter(case_id=pk))
        calls = [r for r in runs if r.kind == StepKind.CALL and r.undo_of_id is None]
        booked = list(ErpInvoice.objects.filter(idempotency_key__startswith=f"wms-{pk}-"))
        if len(calls) != 1 or calls[0].status != StepStatus.SUCCEEDED or len(booked) != 1:
            problems.append(f"case {pk}: {len(calls)} ERP steps, {len(booked)} ERP invoices (expected one of each)")
            continue
        counts["erp_bookings"] += 1
        if case.data.get("erp_reference") != booked[0].reference:
            problems.append(f"case {pk}: ERP reference {case.data.get('erp_reference')} vs {booked[0].reference}")
        undos = [r for r in runs if r.undo_of_id == calls[0].pk]
        if expected == "rejected":
            if len(undos) != 1 or undos[0].status != StepStatus.SUCCEEDED or booked[0].cancelled is None:
                problems.append(f"case {pk}: rejected, its ERP invoice undone {len(undos)} times")
            else:
                counts["erp_undone"] += 1
        elif undos or booked[0].cancelled:
            problems.append(f"case {pk}: approved, yet its ERP invoice was undone")
    return counts


def undo_pending(case_ids: list[int]) -> int:
    """Undo calls of rejected invoices still queued or running (they run after the close)."""
    from django.db import connections

    from apps.automation.models import STEP_OPEN, StepRun

    connections.close_all()
    return StepRun.objects.filter(case_id__in=case_ids, status__in=STEP_OPEN).count()


def check_api(web: Web, reader: "Api", problems: list[str]) -> dict:
    """The case list of every web process, as the auditor reads it, equals the database."""
    from apps.audit.models import AuditEvent
    from apps.cases.models import Case

    db_states = Counter(Case.objects.values_list("state", flat=True))
    db_trails = {}
    for case_id, action in (
        AuditEvent.objects.filter(case_id__isnull=False).order_by("at", "id").values_list("case_id", "action")
    ):
        db_trails.setdefault(case_id, []).append(action)
    for base in web.bases:
        answer = reader.call("GET", "/api/v1/cases/?per_page=500", base=base)
        listed = answer.json()
        total = int(answer.headers.get("X-Total-Count", -1))
        if total != sum(db_states.values()) or len(listed) != total:
            problems.append(
                f"{base}: the API lists {len(listed)} of {total} cases, the database has {db_states.total()}"
            )
        if Counter(c["state"] for c in listed) != db_states:
            problems.append(f"{base}: API states {Counter(c['state'] for c in listed)} vs database {db_states}")
        for case in listed:
            if [h["action"] for h in case["history"]] != db_trails.get(case["id"], []):
                problems.append(f"{base}: case {case['id']}'s API history differs from its audit trail")
    return {"cases": sum(db_states.values()), "states": dict(db_states)}


def check_metrics(web: Web, apis: dict, token: str, problems: list[str]) -> dict:
    """Each web process's /metrics (and the metrics API, where this installation has one) against
    the database and the client: business series are counted from the database, so both processes
    must answer the same; the request histogram sums a gunicorn's processes (multiprocess mode),
    so its API requests must be exactly those this client got answers to from that web process."""
    from prometheus_client.parser import text_string_to_metric_families

    from apps.cases.models import Case

    cases = Case.objects.filter(is_test=False)  # test cases are never counted
    started = Counter(cases.values_list("workflow_key", flat=True))
    closed = Counter(cases.exclude(outcome=None).values_list("workflow_key", "outcome"))
    open_cases = cases.filter(outcome=None).count()
    seen = {}
    for base in web.bases:
        answer = apis["audrey"].call("GET", "/api/v1/metrics/", base=base, settle=(403, 404))
        if answer.status_code != 200:
            seen["metrics_api"] = f"absent ({answer.status_code})"
            continue
        body, by_outcome = answer.json(), Counter()
        for (_, outcome), n in closed.items():
            by_outcome[outcome] += n
        seen["metrics_api"] = "agrees"
        if {k: v for k, v in body.get("outcomes", {}).items() if v} != dict(by_outcome):
            problems.append(f"{base}: /api/v1/metrics/ outcomes {body.get('outcomes')} vs database {dict(by_outcome)}")
        if body.get("wip", {}).get("open") != open_cases:
            problems.append(f"{base}: /api/v1/metrics/ wip.open {body.get('wip')} vs database {open_cases}")
    api_requests = {}
    for base in web.bases:
        expected_requests = web.answered[base]  # before this scrape, which is not an API request
        answer = apis["audrey"].call(
            "GET", "/metrics", base=base, settle=(403, 404), headers={"Authorization": f"Bearer {token}"}
        )
        if answer.status_code != 200:
            seen["prometheus"] = f"absent ({answer.status_code})"
            continue
        seen["prometheus"] = "agrees"
        series = Counter()
        for family in text_string_to_metric_families(answer.text):
            for sample in family.samples:
                labels = sample.labels
                if sample.name == "wms_cases_started_total":
                    series["started", labels["workflow"]] += sample.value
                elif sample.name == "wms_cases_closed_total":
                    series["closed", labels["workflow"], labels["outcome"]] += sample.value
                elif sample.name == "wms_open_tasks":
                    series["open_tasks"] += sample.value
                elif sample.name == "wms_http_request_duration_seconds_count" and labels["route"].startswith("/api/"):
                    series["api_requests"] += sample.value
        got_started = {k[1]: int(v) for k, v in series.items() if k[0] == "started" and v}
        got_closed = {k[1:]: int(v) for k, v in series.items() if k[0] == "closed" and v}
        if got_started != dict(started):
            problems.append(f"{base}: wms_cases_started_total {got_started} vs database {dict(started)}")
        if got_closed != dict(closed):
            problems.append(f"{base}: wms_cases_closed_total {got_closed} vs database {dict(closed)}")
        if open_cases == 0 and series["open_tasks"]:
            problems.append(f"{base}: wms_open_tasks {series['open_tasks']} with every case closed")
        api_requests[base] = int(series["api_requests"])
        if api_requests[base] != expected_requests:
            problems.append(
                f"{base}: its gunicorn processes counted {api_requests[base]} API requests, "
                f"the client got {expected_requests} answers from it"
            )
    seen["prometheus_api_requests"] = list(api_requests.values())
    return seen


def check_health(web: Web, problems: list[str]) -> str:
    """/health/ on each web process: the database, Redis, a live worker and recent sweeps."""
    import requests

    for base in web.bases:
        answer = requests.get(base + "/health/", headers={"X-Forwarded-Proto": "https"}, timeout=10)
        if answer.status_code != 200:
            problems.append(f"{base}/health/: {answer.status_code} {answer.text[:300]}")
            return "failing"
    return "ok"


def check_static(web: Web, problems: list[str]) -> int:
    """Each web process serves the pages' static files (collected, hashed) itself."""
    import requests

    fetched = 0
    for base in web.bases:
        for page in ("/accounts/login/", "/api/docs/"):
            html = requests.get(base + page, headers={"X-Forwarded-Proto": "https"}, timeout=10).text
            for url in set(re.findall(r'(?:href|src)="(/static/[^"?]+)', html)):
                answer = requests.get(base + url, headers={"X-Forwarded-Proto": "https"}, timeout=10)
                fetched += 1
                if answer.status_code != 200 or not re.search(r"\.[0-9a-f]{12}\.", url):
                    problems.append(f"{base}{url} (on {page}): {answer.status_code}, hashed name: {url}")
    if not fetched:
        problems.append("no static file is linked from the login page or the API docs")
    return fetched


def check_schedules(problems: list[str]) -> dict:
    """The sweeps ran in the worker clusters (no scheduler process of its own), never twice at once."""
    from django_q.models import Schedule, Task

    runs = {}
    for name, kind in Schedule.objects.values_list("name", "schedule_type"):
        starts = sorted(Task.objects.filter(group=name).values_list("started", flat=True))
        runs[name] = len(starts)
        # The every-minute sweeps must have run; an hourly or weekly job (alerts, the digest) may
        # not be due within the run.
        if not starts and kind == Schedule.MINUTES:
            problems.append(f"schedule {name} never ran")
        if any((b - a).total_seconds() < 30 for a, b in itertools.pairwise(starts)):
            problems.append(f"schedule {name} ran twice within 30 s: {starts}")
    return runs


# --- the run -------------------------------------------------------------------------------------


def wait_until_serving(procs: Processes, bases: list[str], seconds: float) -> None:
    import requests

    deadline = time.monotonic() + seconds
    for base in bases:
        while True:
            if procs.dead():
                raise Failed(f"stopped while starting: {procs.dead()}")
            try:
                if requests.get(base + "/accounts/login/", timeout=10).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):  # still starting
                pass
            if time.monotonic() > deadline:
                raise Failed(f"{base} did not answer within {seconds:g} s")
            time.sleep(0.3)


def wait_schedules_ran(seconds: float) -> None:
    """django-q2's guard looks at the schedules every 30 s: let it have looked once."""
    from django.db import connections
    from django_q.models import Schedule, Task

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        connections.close_all()
        names = set(Schedule.objects.values_list("name", flat=True))
        if names and names <= set(Task.objects.filter(group__in=names).values_list("group", flat=True)):
            return
        time.sleep(1)


def run(args, result: dict, procs_box: list) -> list[str]:
    pg = _pg()
    redis_url = os.environ.get("Q2_REDIS_URL") or "redis://127.0.0.1:6379/0"
    redis_client = _redis(redis_url)
    db_name, queue = f"wms_cluster_{os.getpid()}", f"wms_cluster_{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="wms_cluster_"))
    (workdir / "logs").mkdir()
    ports = [free_port(), free_port()]
    bases = [f"http://{HOST}:{p}" for p in ports]
    inherited = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env = {
        **inherited,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "wms.settings.production",
        "DATABASE_URL": _db_url(pg, db_name),
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": f"{HOST},localhost",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback; the client sends X-Forwarded-Proto: https
        "Q2_REDIS_URL": redis_url,
        "Q2_NAME": queue,
        "Q2_WORKERS": str(args.worker_processes),
        "CACHE_URL": redis_url,  # throttle counters shared by the web processes, as in production
        "API_THROTTLE_TOKEN": "600/min",  # the run signs six people in; a rerun must not wait a minute
        "WEB_HOST": HOST,
        "WEB_CONCURRENCY": str(args.web_processes),
        "WEB_THREADS": "4",
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": str(workdir / "media"),
        "WMS_DEMO_ERP": "1",
        "WMS_ENDPOINT_ERP": f"{bases[0]}/demo/erp",
        "WMS_SECRET_ERP_TOKEN": "demo-erp-token",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",  # no mail server here
        "METRICS_TOKEN": secrets.token_urlsafe(32),  # /metrics, as Prometheus scrapes it
        "PYTHONUNBUFFERED": "1",
    }
    for name in drop_leftovers(pg, redis_client):
        log(f"dropped {name}, left by a run that was killed")
    _admin(pg, f'CREATE DATABASE "{db_name}"')
    result["database"] = db_name
    procs = Processes(env, workdir / "logs")
    procs_box.append((procs, pg, db_name, redis_client, queue, workdir))
    commands = procfile()
    began = time.monotonic()
    procs.once("release", commands["release"], timeout=120)
    result["release_seconds"] = round(time.monotonic() - began, 1)
    log(f"released (migrate, collectstatic) in {result['release_seconds']} s")
    # The workers first: their schedules come due about 30 s after a cluster starts.
    procs.run("worker-1", commands["worker"])
    procs.run("worker-2", commands["worker"])
    procs.once("seed", "python manage.py seed_demo --force", timeout=60)
    for port in ports:
        # Each gunicorn sums its own processes' request metrics (a directory shared by two would be
        # emptied by the second to start): named here, not left to what this environment holds.
        (metrics_dir := workdir / f"metrics-{port}").mkdir()
        procs.run(f"web-{port}", commands["web"], PORT=str(port), PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    result["process_groups"] = [p.pid for p in procs.procs if p.serves]
    wait_until_serving(procs, bases, 60)
    log(f"web on {', '.join(bases)}, 2 worker clusters, database {db_name}, queue {queue}, logs in {workdir}/logs")

    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS")})
    os.environ.update({k: env[k] for k in ("Q2_REDIS_URL", "Q2_NAME", "STATIC_ROOT", "WMS_DEMO_ERP")})
    import django

    django.setup()

    problems: list[str] = []
    web = Web(bases)
    apis = {name: Api(web, name) for name in PEOPLE}
    load_began = time.monotonic()
    deadline = load_began + args.load_seconds
    with ThreadPoolExecutor(args.threads) as pool:
        outcomes = list(pool.map(lambda n: drive_case(n, apis, queue, deadline), range(1, args.cases + 1)))
    result["load_seconds"] = round(time.monotonic() - load_began, 1)
    log(f"{len(outcomes)} cases driven in {result['load_seconds']} s")
    unfinished = [o for o in outcomes if o["state"] == "unfinished"]
    problems += [f"case {o['case']} ({o['workflow']}) did not close in time" for o in unfinished]
    settle_until = time.monotonic() + 30
    while undo_pending([o["case"] for o in outcomes]) and time.monotonic() < settle_until:
        time.sleep(0.5)
    wait_schedules_ran(max(0, min(40, deadline - time.monotonic())))
    log("checking")

    counts = check_cases(outcomes, problems)
    result["api"] = check_api(web, apis["audrey"], problems)
    result.update(check_metrics(web, apis, env["METRICS_TOKEN"], problems))
    result["health"] = check_health(web, problems)
    result["static_files"] = check_static(web, problems)
    result["schedule_runs"] = check_schedules(problems)
    served = [web.answered[base] for base in bases]
    if min(served) == 0:
        problems.append(f"not every web process served requests: {served}")
    problems += [f"process ended by itself: {line}" for line in procs.dead()]
    log("checked")
    result.update(
        cases=len(outcomes),
        approved=counts["approved"],
        rejected=counts["rejected"],
        decisions=counts["decisions"],
        erp_bookings=counts["erp_bookings"],
        erp_undone=counts["erp_undone"],
        requests_per_web=served,
        client_retries=dict(Api.retries),
    )
    return problems


def cleanup(procs_box: list, *, keep_logs: bool) -> None:
    for procs, pg, db_name, redis_client, queue, workdir in procs_box:
        procs.stop()
        if keep_logs:
            log(f"the processes' logs are in {workdir / 'logs'}")
            shutil.rmtree(workdir / "static", ignore_errors=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django may not be set up yet
            pass
        try:
            _admin(pg, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        except Exception as error:
            log(f"could not drop database {db_name}: {error}")
        keys = list(redis_client.scan_iter(match=f"django_q:{queue}:*"))  # only this run's queue
        if keys:
            redis_client.delete(*keys)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20, help="cases to start (half purchases, half invoices)")
    parser.add_argument("--threads", type=int, default=4, help="clients working at once")
    parser.add_argument("--web-processes", type=int, default=2, help="gunicorn processes per web (WEB_CONCURRENCY)")
    parser.add_argument("--worker-processes", type=int, default=2, help="workers per cluster (Q2_WORKERS)")
    parser.add_argument("--load-seconds", type=float, default=60, help="most the cases may take to close")
    args = parser.parse_args()

    def terminated(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, terminated)
    began = time.monotonic()
    result, problems, procs_box, code = {}, [], [], 1
    try:
        problems = run(args, result, procs_box)
        code = 1 if problems else 0
    except Failed as error:
        problems, code = [str(error)], 2
    except BaseException as error:  # a client call that failed for good, Ctrl-C, SIGTERM: say which
        problems, code = [f"{type(error).__name__}: {error}"], 1 if isinstance(error, Exception) else 2
    finally:
        cleanup(procs_box, keep_logs=code != 0)
        result.update(seconds=round(time.monotonic() - began, 1), ok=code == 0, problems=problems[:20])
        for line in problems[:20]:
            log(f"FAILED: {line}")
        print(json.dumps(result), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
