#!/usr/bin/env python
"""Migration benchmark: import a 10,000-row spreadsheet through the engine (README "Migration
from spreadsheets"), read row by row from the file, never loaded whole.

    .venv/bin/python bench/import_cases.py                      # 10,000 rows, SQLite
    .venv/bin/python bench/import_cases.py --rows 2000 --format xlsx
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/import_cases.py

The file holds purchase-approval cases: four in five open at the approval stage (held by fiona,
or queued to role:finance), one in five closed approved or rejected; each row is started through
`apps.cases.importing.cases_import` as `manage.py import_cases` does. Runs on a throwaway
database and ends with one JSON line: rows, seconds, rows per second, and peak memory (the
process's peak resident size before and during the import, in MB, and the Python heap's peak
during a second, traced import of `--traced-rows` rows, and the statements per row of that import).
"""

import argparse
import csv
import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

from bench.engine import create_database  # noqa: E402

HEADERS = ["external_id", "amount", "vendor", "cost_center", "stage", "owner", "requested_by", "created_at", "outcome"]


def _row(i: int, prefix: str) -> list:
    day = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"
    if i % 5 == 4:
        return [
            f"{prefix}{i}",
            "250",
            f"Vendor {i}",
            "CC-1",
            "closed",
            "",
            "alice",
            day,
            "rejected" if i % 2 else "approved",
        ]
    owner = "fiona" if i % 2 else "role:finance"
    return [f"{prefix}{i}", str(100 + i % 900), f"Vendor {i}", "CC-1", "approval", owner, "alice", f"{day}T09:30", ""]


def write_file(rows: int, fmt: str, prefix: str) -> str:
    fd, path = tempfile.mkstemp(prefix="wms_import_", suffix=f".{fmt}")
    os.close(fd)
    if fmt == "csv":
        with open(path, "w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(HEADERS)
            writer.writerows(_row(i, prefix) for i in range(rows))
    else:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Cases")
        sheet.append(HEADERS)
        for i in range(rows):
            sheet.append(_row(i, prefix))
        workbook.save(path)
    return path


def import_file(path: str, fmt: str) -> dict:
    from apps.cases.importing import cases_import
    from apps.core.sheets import sheet_rows

    with open(path, "rb") as handle:
        headers, rows = sheet_rows(handle, fmt=fmt)
        return cases_import(workflow="purchase-approval", headers=headers, rows=rows, actor=None, source=path)


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


def run(rows: int, fmt: str, traced_rows: int) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from apps.demo.management.commands.seed_demo import seed_demo_data

    call_command("migrate", run_syncdb=True, verbosity=0)
    seed_demo_data()
    import_file(write_file(3, fmt, "warm-"), fmt)  # first-use costs stay out of the figures

    path = write_file(rows, fmt, "P-")
    size = os.path.getsize(path)
    rss_before = _peak_rss_mb()
    print(f"importing {rows} rows ({size // 1024} KiB of {fmt})...", flush=True)
    started = time.perf_counter()
    report = import_file(path, fmt)
    seconds = time.perf_counter() - started
    rss_after = _peak_rss_mb()
    assert report["created"] == rows and report["errors"] == 0, {k: report[k] for k in ("created", "errors")}

    traced = write_file(traced_rows, fmt, "T-")
    tracemalloc.start()
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(1)  # counted, not kept: the heap figure stays the import's own
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        import_file(traced, fmt)
    _, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    for leftover in (path, traced):
        Path(leftover).unlink(missing_ok=True)
    return {
        "vendor": connection.vendor,
        "format": fmt,
        "rows": rows,
        "file_kib": size // 1024,
        "seconds": round(seconds, 1),
        "rows_per_s": round(rows / seconds, 1),
        "ms_per_row": round(1000 * seconds / rows, 1),
        "peak_rss_mb_before": rss_before,
        "peak_rss_mb_after": rss_after,
        "traced_rows": traced_rows,
        "traced_heap_peak_mb": round(heap_peak / 2**20, 1),
        "queries_per_row": round(len(statements) / traced_rows, 1),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--traced-rows", type=int, default=1_000, help="rows of the second, memory-traced import")
    args = parser.parse_args(argv)
    drop = create_database()
    try:
        import django

        django.setup()
        result = run(args.rows, args.format, args.traced_rows)
    finally:
        from django.db import connections

        connections.close_all()
        drop()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
