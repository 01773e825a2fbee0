#!/usr/bin/env python
"""UI steps per minute with 1 and 2 worker processes, and the peak memory per worker.

    .venv/bin/python bench/ui_steps.py --steps 20

Each worker process is what a `ui` cluster worker is (README "UI automation steps"): it keeps one
Chromium (Debian's /usr/bin/chromium, apps.integrations.ui) and runs each step in a fresh
context. A step here is the invoice template's kind of script against a small portal served on a
loopback port (tests/integrations/ui_portal.py): the guard signs in and searches the PO number,
then the script opens the order form, fills it, saves, reads the order number back and takes a
screenshot. Recording the attempt (milliseconds of database work) is left out: the browser is
the cost. Peak memory is the largest proportional set size (PSS) of a worker's whole process tree
(the worker, playwright's driver and Chromium's processes), sampled every 100 ms. The last line of stdout is
one JSON object; the first step of each worker (starting its browser) is timed apart.
"""

import argparse
import json
import multiprocessing
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wms.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from apps.definitions.accessors import Stage  # noqa: E402
from apps.integrations.ui import ui_browser_close, ui_build, ui_run  # noqa: E402
from tests.integrations.ui_portal import PASSWORD, USER, Portal  # noqa: E402

LOGIN = [
    {"do": "goto", "url": "{{endpoint.PORTAL}}/login/"},
    {"do": "fill", "selector": "#username", "value": "{{secret.PORTAL_USER}}"},
    {"do": "fill", "selector": "#password", "value": "{{secret.PORTAL_PASSWORD}}"},
    {"do": "click", "selector": "button[type=submit]"},
]
STAGE = {
    "key": "enter_order",
    "type": "ui",
    "system": "Portal",
    "timeout_seconds": 10,
    "guard": {
        "script": [*LOGIN, {"do": "goto", "url": "{{endpoint.PORTAL}}/orders/?q={{field.po}}"}],
        "found": 'td.po-number:text-is("{{field.po}}")',
    },
    "script": [
        {"do": "goto", "url": "{{endpoint.PORTAL}}/orders/new/"},
        {"do": "fill", "selector": "#po-number", "value": "{{field.po}}"},
        {"do": "fill", "selector": "#amount", "value": "{{field.amount}}"},
        {"do": "select", "selector": "#currency", "value": "EUR"},
        {"do": "click", "selector": "#save"},
        {"do": "expect_text", "selector": "h1", "text": "Order saved"},
        {"do": "extract", "selector": "#order-number", "field": "supplier_order"},
        {"do": "screenshot", "name": "order entered"},
    ],
}


def _worker(number: int, steps: int, url: str, results) -> None:
    settings.WMS_ENDPOINTS = {"PORTAL": url}
    settings.WMS_SECRETS = {"PORTAL_USER": USER, "PORTAL_PASSWORD": PASSWORD}
    stage = Stage.of(STAGE)
    timings, failures = [], 0
    for index in range(steps + 1):  # the first one starts the browser: timed apart
        data = {"po": f"PO-{number}-{index}", "amount": "10.00"}
        script = ui_build(
            stage=stage, data=data, case_id=index, workflow="bench", version=1, idempotency_key="", system="Portal"
        )
        started = time.monotonic()
        result = ui_run(script)
        timings.append(time.monotonic() - started)
        failures += result.outcome != "succeeded"
    ui_browser_close()
    results.put({"worker": number, "first": timings[0], "steps": timings[1:], "failures": failures})


def _tree_memory(pid: int) -> int:
    """Proportional set size (PSS: shared pages divided among their sharers, so Chromium's
    processes and the forked worker are not counted several times) of a process and all its
    descendants, in bytes (Linux /proc)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            total += next(int(line.split()[1]) * 1024 for line in rollup.splitlines() if line.startswith("Pss:"))
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total


def run(workers: int, steps: int, url: str) -> dict:
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    procs = [context.Process(target=_worker, args=(n, steps, url, results)) for n in range(workers)]
    peaks = {n: 0 for n in range(workers)}
    done = threading.Event()

    def sample():
        while not done.is_set():
            for n, proc in enumerate(procs):
                if proc.pid:
                    peaks[n] = max(peaks[n], _tree_memory(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    started = time.monotonic()
    for proc in procs:
        proc.start()
    sampler.start()
    reports = [results.get(timeout=60 + steps * 60) for _ in procs]
    for proc in procs:
        proc.join()
    done.set()
    elapsed_steps = max(sum(r["steps"]) for r in reports)
    count = sum(len(r["steps"]) for r in reports)
    return {
        "workers": workers,
        "steps": count,
        "failures": sum(r["failures"] for r in reports),
        "steps_per_minute": round(count / elapsed_steps * 60, 1) if elapsed_steps else None,
        "seconds_per_step": round(sum(sum(r["steps"]) for r in reports) / count, 2),
        "browser_start_seconds": round(max(r["first"] for r in reports), 2),
        "peak_mb_per_worker": [round(peaks[n] / 2**20) for n in sorted(peaks)],
        "wall_seconds": round(time.monotonic() - started, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20, help="steps per worker (after its first)")
    args = parser.parse_args()
    portal = Portal().start()
    try:
        rows = [run(workers, args.steps, portal.url) for workers in (1, 2)]
    finally:
        portal.stop()
    for row in rows:
        print(
            f"{row['workers']} worker(s): {row['steps_per_minute']} steps/min, {row['seconds_per_step']} s a step, "
            f"peak {', '.join(f'{mb} MB' for mb in row['peak_mb_per_worker'])} per worker "
            f"(browser start {row['browser_start_seconds']} s; {row['failures']} failed)"
        )
    print(json.dumps({"ui_steps": rows}))
    return 1 if any(r["failures"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
