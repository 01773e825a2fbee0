#!/usr/bin/env python
"""Chaos run: restart PostgreSQL and kill workers while approvals and automated steps are in
flight on a local server, then check every case.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/chaos.py --cases 60
    ... bench/chaos.py --cases 20 --no-pg-restart     # develop: cut this run's connections instead

Against a throwaway PostgreSQL database (`wms_chaos_<pid>`, created beside the one DATABASE_URL
names and dropped at the end) it starts `manage.py runserver --noreload` on a free loopback port
(with the demo ERP at /demo/erp/ on the same server) and two `manage.py qcluster` processes (ORM
broker). A few client threads drive purchase approvals and invoice cases (an automated step that
books the invoice in the demo ERP, then approvals) through the API, with each approver's own
token. While they run, each time once a worker holds a step's lease, it restarts PostgreSQL
twice (`pg_ctlcluster <version> main restart`; with --no-pg-restart it takes only this run's
database away for a few seconds instead, sessions cut and new ones refused, which disturbs nobody
else), and between the two switches the demo ERP to "slow" (it holds calls beyond the step's
timeout, then books them) and SIGKILLs one worker cluster mid-call and starts another. Client
calls that fail with a connection error, 409, 429, 500 or 503 are retried (bounded): a start
carries an Idempotency-Key; a decision that was recorded before its answer was lost is no longer
open when the case is read again.

After the load it lets the workers drain (bounded), retrying through the API, as operator oscar,
steps that went to the exception queue while the database was away, then checks every case:
its state agrees with its tasks (no partial transition), every decision is recorded once in the
audit trail, every step booked exactly once in the ERP (one invoice per Idempotency-Key, the
case's ERP reference is that invoice), a rejected invoice's booking is undone once, no step is
left leased past its lease, every case reached its end. The last line of stdout is one JSON
object with the counts; the exit status is 1 when any check fails.

Traffic goes to 127.0.0.1 only. Everything started is stopped in `finally`.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

HOST = "127.0.0.1"
PASSWORD = "demo"
RETRYABLE = {409, 429, 500, 502, 503, 504}
CALL_TRIES = 40  # per client call, about 0.5 s apart: outlasts a PostgreSQL restart
PURCHASE = {"amount": "5000", "vendor": "ACME", "cost_center": "CC-1"}  # bob (manager) + finance
INVOICE_VENDOR = "ACME Ltd"  # in the demo ERP's vendor master
REJECT_EVERY = 5  # every fifth case is rejected by bob
SWEPT_WITHIN = timedelta(seconds=75)  # the step sweep runs every minute (django-q2 schedule)


def log(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- throwaway database --------------------------------------------------------------------------


def _pg_params() -> dict:
    import dj_database_url

    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("bench/chaos.py restarts PostgreSQL: DATABASE_URL must name a PostgreSQL database")
    params = {
        "dbname": config.get("NAME") or "postgres",
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }
    if params["host"] not in (None, "", "localhost") and not str(params["host"]).startswith("127."):
        raise SystemExit("bench/chaos.py only runs against a PostgreSQL on this machine (127.0.0.1)")
    os.environ["DATABASE_URL"] = url
    return {k: v for k, v in params.items() if v is not None}


def _admin(params: dict, statement, *args) -> list:
    import psycopg

    with psycopg.connect(**params, autocommit=True, connect_timeout=5) as conn:
        cursor = conn.execute(statement, args or None)
        return cursor.fetchall() if cursor.description else []


def create_database(params: dict) -> str:
    from psycopg import sql

    name = f"wms_chaos_{os.getpid()}"
    _admin(params, sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    _admin(params, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    os.environ["BENCH_DB_NAME"] = name
    return name


def drop_database(params: dict, name: str) -> None:
    from psycopg import sql

    for _ in range(30):  # PostgreSQL may still be coming back from a restart
        try:
            _admin(params, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            return
        except Exception as error:  # keep trying, then say so
            last = error
            time.sleep(1)
    log(f"could not drop database {name}: {last}")


# --- the disruptions -----------------------------------------------------------------------------


def pg_restart(params: dict) -> float:
    """Restart this machine's PostgreSQL cluster; returns the seconds it took."""
    versions = sorted(p.name for p in Path("/etc/postgresql").iterdir() if p.name[0].isdigit())
    if not versions:
        raise SystemExit("no PostgreSQL cluster under /etc/postgresql to restart")
    started = time.monotonic()
    # No systemd in a container: act on the cluster directly (as .ci/run starts it).
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "restart"], check=True, timeout=120
    )
    for _ in range(60):  # accepting connections again, not only listening
        where = ["-h", str(params.get("host") or HOST), "-p", str(params.get("port") or 5432)]
        if subprocess.run(["pg_isready", "-q", *where], check=False).returncode == 0:
            break
        time.sleep(0.5)
    return time.monotonic() - started


def pg_ensure_running(params: dict) -> None:
    """Whatever happened, leave this machine's PostgreSQL running (others use it too)."""
    where = ["-h", str(params.get("host") or HOST), "-p", str(params.get("port") or 5432)]
    if subprocess.run(["pg_isready", "-q", *where], check=False).returncode == 0:
        return
    versions = sorted(p.name for p in Path("/etc/postgresql").iterdir() if p.name[0].isdigit())
    log("PostgreSQL is not answering: starting it")
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"], check=False)
    for _ in range(60):
        if subprocess.run(["pg_isready", "-q", *where], check=False).returncode == 0:
            return
        time.sleep(0.5)


def pg_outage(params: dict, name: str, seconds: float) -> int:
    """This run's database goes away for a while, and no other: its sessions are terminated (as a
    restart does) and new ones refused until it is back. Returns how many sessions were cut."""
    from psycopg import sql

    _admin(params, sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(sql.Identifier(name)))
    try:
        cut = _admin(
            params,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            name,
        )
        time.sleep(seconds)
    finally:
        _admin(params, sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(name)))
    return len(cut)


# --- processes -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Processes:
    """The web server and worker clusters this run started, each in its own process group."""

    def __init__(self, env: dict, logs: Path):
        self.env, self.logs = env, logs
        self.web = None
        self.workers: list[subprocess.Popen] = []
        self.started = 0
        self.lock = threading.Lock()  # the disruptor and the supervisor both replace workers

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        self.started += 1
        out = open(self.logs / f"{self.started:02d}-{name}.log", "wb")  # closed with the process
        proc = subprocess.Popen(
            [sys.executable, "manage.py", *argv],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proc.log = out
        return proc

    def start_web(self, port: int) -> None:
        self.web = self._spawn("web", ["runserver", f"{HOST}:{port}", "--noreload"])

    def start_worker(self) -> subprocess.Popen:
        proc = self._spawn("worker", ["qcluster"])
        self.workers.append(proc)
        return proc

    @staticmethod
    def kill(proc: subprocess.Popen) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)
        proc.log.close()

    def replace_worker(self) -> None:
        """SIGKILL a running worker cluster (all its processes) and start another."""
        with self.lock:
            victim = next(p for p in self.workers if p.poll() is None)
            self.kill(victim)
            self.workers.remove(victim)
            self.start_worker()

    def revive(self) -> list[str]:
        """Start a new worker cluster for each one that exited by itself, as a process supervisor
        (systemd's Restart=always) does in production: django-q2 gives up when the database is
        away while a cluster starts. Returns what exited."""
        with self.lock:
            exited = [w for w in self.workers if w.poll() is not None]
            for proc in exited:
                self.workers.remove(proc)
                proc.log.close()
                self.start_worker()
        return [f"worker {p.pid} exited {p.returncode} (log {Path(p.log.name).name})" for p in exited]

    def dead(self) -> list[str]:
        """Processes that stopped by themselves and were not replaced."""
        procs = [("web", self.web)] + [("worker", w) for w in self.workers]
        return [f"{name} {p.pid} (exit {p.returncode})" for name, p in procs if p is not None and p.poll() is not None]

    def stop(self) -> None:
        """SIGKILL every process group this run started (nothing in them needs a graceful end:
        the database is dropped next)."""
        for proc in [self.web, *self.workers]:
            if proc is not None:
                self.kill(proc)


# --- the clients ---------------------------------------------------------------------------------


class Api:
    """One user's API client: retries what an outage or a busy case makes fail, bounded."""

    counts = Counter()
    lock = threading.Lock()

    def __init__(self, base: str, username: str):
        self.base, self.username = base, username
        self.local = threading.local()  # a session per thread: requests' Session is not thread-safe
        self.token = None
        token = self.call("POST", "/api/v1/auth/token/", json={"username": username, "password": PASSWORD})
        self.token = token.json()["token"]

    @property
    def session(self):
        import requests

        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
            session.trust_env = False  # never through a proxy: traffic stays on 127.0.0.1
        if self.token:
            session.headers["Authorization"] = f"Token {self.token}"
        return session

    def _count(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1

    def call(self, method: str, path: str, *, ok=(200, 201), settle=(), **kwargs):
        """The answer once it is one of `ok` (or of `settle`: known outcomes of a retried call)."""
        import requests

        for attempt in range(CALL_TRIES):
            try:
                answer = self.session.request(method, self.base + path, timeout=30, **kwargs)
            except requests.ConnectionError:
                self._count("connection_errors")
            except requests.Timeout:
                self._count("timeouts")
            else:
                if answer.status_code in ok or (attempt and answer.status_code in settle):
                    return answer
                if answer.status_code not in RETRYABLE:
                    raise RuntimeError(f"{self.username} {method} {path}: {answer.status_code} {answer.text[:300]}")
                self._count(f"http_{answer.status_code}")
                if answer.status_code == 429:
                    time.sleep(min(float(answer.headers.get("Retry-After", "1")), 2))
            self._count("client_retries")
            time.sleep(0.5)
        raise RuntimeError(f"{self.username} {method} {path}: gave up after {CALL_TRIES} tries")


def drive_case(n: int, apis: dict, run_tag: str, deadline: float) -> dict:
    """Start case n (as alice) and work it to its end."""
    alice = apis["alice"]
    invoice = n % 2 == 0
    if invoice:
        workflow = "invoice-processing"
        data = {"invoice_number": f"INV-{run_tag}-{n}", "vendor": INVOICE_VENDOR, "amount": "1200.00"}
        data["po_number"] = f"PO-{n}"
    else:
        workflow, data = "purchase-approval", PURCHASE
    created = alice.call(
        "POST",
        "/api/v1/cases/",
        json={"workflow": workflow, "data": data},
        headers={"Idempotency-Key": f"chaos-{run_tag}-{n}"},
    )
    return work_case(created.json()["id"], n, apis, deadline)


def work_case(case_id: int, n: int, apis: dict, deadline: float) -> dict:
    """Decide the open approvals of case n, each as its approver, until it closes (or the
    deadline; at least one look). Every pass re-reads the case: a decision whose answer was lost
    is not made twice, its task is simply no longer open."""
    alice, bob = apis["alice"], apis["bob"]
    finance = apis["fiona"] if n % 2 else apis["frank"]
    reject = n % REJECT_EVERY == 0
    while True:
        case = alice.call("GET", f"/api/v1/cases/{case_id}/").json()
        if case["closed"]:
            return {"case": case_id, "state": case["state"]}
        todo = [t for t in case["open_tasks"] if t["status"] == "open" and t["kind"] == "approval"]
        for task in todo:
            if task["assignee"] is None:
                finance.call("POST", f"/api/v1/tasks/{task['id']}/claim/", settle=(409,))
                actor = finance
            else:
                actor = {"bob": bob, finance.username: finance}.get(task["assignee"])
            if actor is None:
                raise RuntimeError(f"case {case_id}: task {task['id']} is with {task['assignee']}")
            decision = "reject" if reject and actor is bob else "approve"
            body = {"decision": decision, "reason": "chaos run"}
            actor.call("POST", f"/api/v1/tasks/{task['id']}/complete/", json=body, settle=(409,))
            if decision == "reject":
                break  # the other approvals are cancelled with the case
        if time.monotonic() >= deadline:
            return {"case": case_id, "state": "unfinished"}
        if not todo:
            time.sleep(0.3)  # waiting on the ERP step (or on the workers to come back)


def repair_exceptions(oscar: Api) -> int:
    """Steps that failed for good while the database or a worker was away: retry them as operator
    oscar (the exception queue's own repair; the same Idempotency-Key, so no second booking)."""
    retried = 0
    for run in oscar.call("GET", "/api/v1/exceptions/?status=exception&per_page=100").json():
        oscar.call("POST", f"/api/v1/exceptions/{run['id']}/retry/", json={}, settle=(409,))
        retried += 1
    return retried


# --- the checks ----------------------------------------------------------------------------------


def check(case_ids: list[int]) -> dict:
    """Every case, from the database: counts, and the problems found (each a list of strings)."""
    from django.db import connections
    from django.utils import timezone
    from viewflow.workflow.status import STATUS

    from apps.audit.models import Action, AuditEvent
    from apps.automation.models import STEP_OPEN, StepAttempt, StepKind, StepRun, StepStatus
    from apps.cases.flows import CaseFlow
    from apps.cases.models import Case, CaseState
    from apps.demo.models import ErpCall, ErpInvoice

    connections.close_all()
    open_status = [STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]
    now = timezone.now()
    problems = {"partial": [], "duplicates": [], "lost": [], "stuck": [], "unfinished": []}
    counts = Counter()
    invoices = {i.idempotency_key: i for i in ErpInvoice.objects.filter(idempotency_key__isnull=False)}
    for case in Case.objects.filter(pk__in=case_ids).select_related("version"):
        tasks = list(case.task_set.all())
        open_tasks = [t for t in tasks if t.status in open_status]
        approvals = [t for t in tasks if t.flow_task == CaseFlow.approve]
        runs = list(StepRun.objects.filter(case=case))
        counts[case.state] += 1
        if not case.is_open:
            if open_tasks:
                problems["partial"].append(
                    f"case {case.pk} is {case.state} with open tasks {[t.pk for t in open_tasks]}"
                )
        else:
            problems["unfinished"].append(f"case {case.pk} still {case.state}")
            if case.state == CaseState.APPROVAL and not any(t.flow_task == CaseFlow.approve for t in open_tasks):
                problems["partial"].append(f"case {case.pk} in approval without an open approval task")
            if case.state == CaseState.WAITING and not any(r.status in STEP_OPEN for r in runs):
                problems["partial"].append(f"case {case.pk} waiting without an open step")
        owners = Counter(t.owner_id for t in open_tasks if t.flow_task == CaseFlow.approve and t.owner_id)
        problems["partial"] += [f"case {case.pk}: two open tasks of user {u}" for u, c in owners.items() if c > 1]
        for task in approvals:
            if task.status != STATUS.DONE:
                continue
            decided = AuditEvent.objects.filter(case_id=case.pk, task_id=task.pk, action=Action.TASK_DECIDED).count()
            counts["decisions"] += 1
            if decided != 1:
                problems["duplicates"].append(f"case {case.pk} task {task.pk}: decision audited {decided} times")
        done = Counter(t.owner_id for t in approvals if t.status == STATUS.DONE)
        problems["duplicates"] += [f"case {case.pk}: user {u} decided {c} times" for u, c in done.items() if c > 1]
        for run in runs:
            if run.status in STEP_OPEN and not case.is_open:  # an undo still to run, say
                problems["unfinished"].append(f"step {run.pk} of closed case {case.pk}: {run.status}")
            # The sweep runs every minute: a lease ended longer ago than that is one nobody took up.
            if run.status == StepStatus.RUNNING and run.lease_until and run.lease_until < now - SWEPT_WITHIN:
                problems["stuck"].append(f"step {run.pk} of case {case.pk}: running, lease ended {run.lease_until}")
            if run.kind != StepKind.CALL:
                continue
            booked = ErpInvoice.objects.filter(idempotency_key__startswith=f"wms-{case.pk}-{run.step_key}-").count()
            counts["erp_bookings"] += booked
            if booked > 1:
                problems["duplicates"].append(f"case {case.pk}: {booked} ERP invoices for step {run.step_key}")
            if run.status == StepStatus.SUCCEEDED:
                counts["steps_done"] += 1
                invoice = invoices.get(run.idempotency_key)
                if invoice is None or case.data.get("erp_reference") != invoice.reference:
                    problems["lost"].append(f"case {case.pk}: step done, ERP invoice {invoice} vs case {case.data}")
                undos = [u for u in runs if u.undo_of_id == run.pk]
                if any(u.status in STEP_OPEN for u in undos):
                    pass  # counted as unfinished above
                elif case.state != CaseState.APPROVED and invoice is not None:
                    if len(undos) != 1 or undos[0].status != StepStatus.SUCCEEDED or invoice.cancelled is None:
                        problems["lost"].append(f"case {case.pk}: closed {case.state}, its ERP invoice not undone")
                    else:
                        counts["erp_undone"] += 1
            elif booked and case.state == CaseState.APPROVED:
                problems["lost"].append(f"case {case.pk}: approved but its ERP booking was never recorded")
        called = any(r.kind == StepKind.CALL and r.status == StepStatus.SUCCEEDED for r in runs)
        if case.workflow_key == "invoice-processing" and case.state == CaseState.APPROVED and not called:
            problems["lost"].append(f"case {case.pk}: approved without its ERP step")
    missing = set(case_ids) - set(Case.objects.filter(pk__in=case_ids).values_list("pk", flat=True))
    problems["lost"] += [f"case {pk} missing" for pk in sorted(missing)]
    for outcome, n in Counter(
        StepAttempt.objects.filter(run__case_id__in=case_ids).values_list("outcome", flat=True)
    ).items():
        counts[f"attempts_{outcome}"] = n
    counts["erp_replays"] = ErpCall.objects.filter(note__startswith="replayed").count()
    counts["erp_invoices"] = ErpInvoice.objects.count()
    if counts["erp_invoices"] != counts["erp_bookings"]:
        problems["duplicates"].append(
            f"{counts['erp_invoices']} ERP invoices, {counts['erp_bookings']} of them by steps"
        )
    return {"counts": counts, "problems": problems}


# --- the run -------------------------------------------------------------------------------------


def wait_for_web(base: str, procs: Processes, seconds: float) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if procs.web.poll() is not None:
            raise SystemExit("the web server stopped while starting")
        try:
            requests.get(base + "/api/v1/workflows/", timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.3)
    raise SystemExit("the web server did not start")


def _in_run_db(params: dict, name: str, statement: str, *args) -> list:
    """A statement on this run's database, on a connection of its own (never Django's)."""
    return _admin({**params, "dbname": name}, statement, *args)


def steps_in_flight(params: dict, name: str, seconds: float) -> int:
    """Wait (at most `seconds`) until a worker holds a step's lease; how many do."""
    deadline = time.monotonic() + seconds
    while True:
        running = _in_run_db(params, name, "SELECT count(*) FROM integrations_steprun WHERE status = 'running'")[0][0]
        if running or time.monotonic() >= deadline:
            return running
        time.sleep(0.05)


def erp_mode(params: dict, name: str, mode: str) -> None:
    """Switch the demo ERP (in "slow" it holds each call 8 s, beyond the step's 5 s timeout, and
    books it all the same: the case the Idempotency-Key is for)."""
    _in_run_db(
        params,
        name,
        "INSERT INTO demo_erpsettings (id, mode, changed) VALUES (1, %s, now()) "
        "ON CONFLICT (id) DO UPDATE SET mode = EXCLUDED.mode, changed = now()",
        mode,
    )


def chaos(args, params, db_name, procs, progress, stop, events) -> None:
    try:
        _disrupt(args, params, db_name, procs, progress, stop, events)
    except Exception as error:  # a disruption that did not happen fails the run
        events["disruption_errors"] += 1
        log(f"disruption failed: {error!r}")


def _disrupt(args, params, db_name, procs, progress, stop, events) -> None:
    """Disrupt while the load runs, at fixed shares of the cases started, each time once a step
    is in flight: PostgreSQL away, then a worker cluster SIGKILLed while the ERP is slow (so it
    dies holding a call), then PostgreSQL away again."""
    plan = [(0.2, "pg"), (0.35, "worker"), (0.6, "pg")]
    pg_left = args.pg_restarts
    for share, what in plan:
        if what == "pg" and not pg_left:
            continue
        while progress["started"] < share * args.cases and not stop.is_set():
            time.sleep(0.2)
        if stop.is_set():
            return
        if what == "worker":
            erp_mode(params, db_name, "slow")
            events["in_flight_at_kill"] += steps_in_flight(params, db_name, 10)
            time.sleep(1)  # the call is with the ERP
            procs.replace_worker()
            events["workers_killed"] += 1
            time.sleep(2)
            erp_mode(params, db_name, "ok")
            log("SIGKILLed a worker cluster holding an ERP call (ERP slow), started another")
            continue
        pg_left -= 1
        events["in_flight_at_pg"] += steps_in_flight(params, db_name, 10)
        if args.no_pg_restart:
            cut = pg_outage(params, db_name, args.outage_seconds)
            events["pg_outages"] += 1
            log(f"{db_name} away for {args.outage_seconds:g} s, {cut} sessions cut (--no-pg-restart)")
        else:
            took = pg_restart(params)
            events["pg_restarts"] += 1
            log(f"restarted PostgreSQL ({took:.1f} s)")


def supervise(procs: Processes, done: threading.Event, events: Counter) -> None:
    while not done.wait(1):
        for line in procs.revive():
            events["workers_restarted"] += 1
            log(f"supervisor: {line}; started another")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--pg-restarts", type=int, default=2, choices=[0, 1, 2])
    parser.add_argument(
        "--no-pg-restart",
        action="store_true",
        help="take only this run's database away instead of restarting PostgreSQL (disturbs nobody else)",
    )
    parser.add_argument("--outage-seconds", type=float, default=4, help="with --no-pg-restart: how long")
    parser.add_argument("--keep-db", action="store_true", help="keep the database to look into (dropped otherwise)")
    parser.add_argument("--load-seconds", type=float, default=110, help="most the load may take")
    parser.add_argument("--drain-seconds", type=float, default=150, help="most the workers may take to finish")
    args = parser.parse_args()
    began = time.monotonic()
    params = _pg_params()
    db_name = create_database(params)
    logs = Path(tempfile.mkdtemp(prefix="wms_chaos_logs_"))
    port = free_port()
    base = f"http://{HOST}:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH_DB_NAME": db_name,
        "WMS_ENDPOINT_ERP": f"{base}/demo/erp",
        "WMS_SECRET_ERP_TOKEN": "demo-erp-token",
        "Q2_WORKERS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    procs = Processes(env, logs)
    events = Counter()
    supervising_done = threading.Event()
    result, failed = {}, True
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        from apps.demo.management.commands.seed_demo import seed_demo_data

        call_command("migrate", run_syncdb=True, verbosity=0)
        seed_demo_data()
        connections.close_all()  # this process holds no session through the disruptions

        procs.start_web(port)
        wait_for_web(base, procs, 60)
        procs.start_worker()
        procs.start_worker()
        apis = {u: Api(base, u) for u in ("alice", "bob", "fiona", "frank", "oscar")}
        log(f"web on {base}, 2 worker clusters, database {db_name}, logs in {logs}")

        progress, stop = {"started": 0}, threading.Event()
        disruptor = threading.Thread(
            target=chaos, args=(args, params, db_name, procs, progress, stop, events), daemon=True
        )
        disruptor.start()
        supervisor = threading.Thread(target=supervise, args=(procs, supervising_done, events), daemon=True)
        supervisor.start()
        deadline = time.monotonic() + args.load_seconds
        run_tag = str(os.getpid())

        def one(n):
            progress["started"] += 1
            try:
                return drive_case(n, apis, run_tag, deadline)
            except Exception as error:  # a client call that never got through: counted, and fails the run
                log(f"case {n}: {error}")
                return {"case": None, "state": "client_error"}

        with ThreadPoolExecutor(args.threads) as pool:
            outcomes = list(pool.map(one, range(1, args.cases + 1)))
        stop.set()
        disruptor.join(timeout=150)
        case_ids = [o["case"] for o in outcomes if o["case"] is not None]
        client_errors = sum(o["state"] == "client_error" for o in outcomes)
        log(f"load done: {Counter(o['state'] for o in outcomes)}")

        # Drain: the workers finish what the disruptions left (leases end, the sweep retries).
        drain_until = time.monotonic() + args.drain_seconds
        retried = 0
        while time.monotonic() < drain_until:
            if not check(case_ids)["problems"]["unfinished"]:
                break
            retried += repair_exceptions(apis["oscar"])
            for n, outcome in enumerate(outcomes):
                if outcome["state"] == "unfinished" and outcome["case"] is not None:
                    outcomes[n] = work_case(outcome["case"], n + 1, apis, time.monotonic())
            time.sleep(3)
        found = check(case_ids)
        counts, problems = found["counts"], found["problems"]
        dead = procs.dead()
        result = {
            "cases": len(case_ids),
            "approved": counts["approved"],
            "rejected": counts["rejected"],
            "steps_done": counts["steps_done"],
            "erp_bookings": counts["erp_bookings"],
            "erp_undone": counts["erp_undone"],
            "decisions": counts["decisions"],
            "duplicates": len(problems["duplicates"]),
            "partial": len(problems["partial"]),
            "lost": len(problems["lost"]),
            "stuck": len(problems["stuck"]),
            "unfinished": len(problems["unfinished"]),
            "exceptions_retried": retried,
            **{k: v for k, v in sorted(counts.items()) if k.startswith(("attempts_", "erp_replays"))},
            "steps_in_flight_at_disruptions": events["in_flight_at_pg"] + events["in_flight_at_kill"],
            "pg_restarts": events["pg_restarts"],
            "pg_outages": events["pg_outages"],
            "workers_killed": events["workers_killed"],
            "workers_restarted": events["workers_restarted"],
            "processes_died": len(dead),
            "disruption_errors": events["disruption_errors"],
            "client_errors": client_errors,
            **{k: v for k, v in sorted(Api.counts.items())},
        }
        for kind, lines in problems.items():
            for line in lines[:10]:
                log(f"{kind}: {line}")
        for line in dead:
            log(f"died: {line}")
        failed = bool(sum(len(v) for v in problems.values()) or dead or client_errors or events["disruption_errors"])
    finally:
        supervising_done.set()
        time.sleep(1.1)  # the supervisor's last look is over
        procs.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django may not be set up yet
            pass
        if not args.no_pg_restart:
            pg_ensure_running(params)
        if args.keep_db:
            log(f"kept database {db_name}")
        else:
            drop_database(params, db_name)
        result["seconds"] = round(time.monotonic() - began, 1)
        result["ok"] = not failed
        print(json.dumps(result))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
