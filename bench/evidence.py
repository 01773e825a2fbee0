#!/usr/bin/env python
"""Evidence pack benchmark: time and peak memory of `evidence_export` over 100,000 cases.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/evidence.py
    ... bench/evidence.py --sizes 10000,100000 --keep

The history is the dashboards bench's (bench/dashboards.py, its helpers reused, not copied):
three weeks of traffic through the real services, then the template cases cloned in bulk up to
each size. That bench clones no audit events; this one also copies, per clone, its template's
audit events (case id, task id and moment shifted like the clone) and attachment rows (one
template case in ten gets a 50 KB attachment first, through the service), so a pack of the whole
history has every case's trail and a file per attachment.

At each size it runs `manage.py evidence_export` in a child process for every day from the
oldest case to today (every real case) into a temporary file, and reads the child's wall time and
peak resident memory (ru_maxrss of the whole process, Django included); then times the offline
check (`pack_verify`, what `evidence_verify` runs) in this process. One JSON line per size:
cases, events, decisions, attachments, pack MB, export seconds, export peak RSS MB, verify
seconds, the load average. Streaming means the peak stays flat while the size grows.
"""

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

from bench.dashboards import Cloner, build_templates, columns, grow  # noqa: E402 - after the settings module
from bench.engine import create_database  # noqa: E402

ATTACHMENT_BYTES = 50 * 1024
ATTACHMENT_EVERY = 10


def attach_templates() -> int:
    """Give one template case in ten an attachment (through the service, as its requester)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.cases.attachments import case_attachment_add
    from apps.cases.models import Case

    body = os.urandom(ATTACHMENT_BYTES)
    made = 0
    for case in Case.objects.filter(is_test=False).select_related("requester").order_by("pk")[::ATTACHMENT_EVERY]:
        upload = SimpleUploadedFile("quote.pdf", b"%PDF-1.4 " + body, content_type="application/pdf")
        case_attachment_add(case=case, actor=case.requester, upload=upload, with_request=True)
        made += 1
    return made


def clone_trails(cursor, cloner: Cloner) -> dict:
    """Copy the template cases' audit events and attachment rows to every clone that has none yet:
    a clone's id is its template's plus n x the stride, so `id % stride` finds the template and
    `id / stride` the copy number n (task ids shift by n x the task stride)."""
    process, task = cloner.strides["viewflow_process"], cloner.strides["viewflow_task"]
    copied = {}
    for table, shifts in (
        (
            "audit_auditevent",
            {"case_id": "c.process_ptr_id", "task_id": f"t.task_id + (c.process_ptr_id / {process}) * {task}"},
        ),
        ("cases_attachment", {"case_id": "c.process_ptr_id"}),
    ):
        names, values = [], []
        for name, kind in columns(cursor, table):
            if name == "id":
                continue  # the sequence numbers the copies
            names.append(f'"{name}"')
            if name in shifts:
                values.append(shifts[name])
            elif name == "seq":  # a hash-chained trail numbers its events: copies go after the last
                values.append(
                    f"(SELECT COALESCE(MAX(seq), 0) FROM {table}) + row_number() OVER (ORDER BY c.process_ptr_id, t.id)"
                )
            elif kind == "timestamp with time zone":
                values.append(f't."{name}" - (tp.created - p.created)')
            else:
                values.append(f't."{name}"')
        cursor.execute(
            f'INSERT INTO "{table}" ({", ".join(names)}) SELECT {", ".join(values)} '
            f"FROM cases_case c JOIN viewflow_process p ON p.id = c.process_ptr_id "
            f"JOIN viewflow_process tp ON tp.id = c.process_ptr_id % {process} "
            f'JOIN "{table}" t ON t.case_id = tp.id '
            f"WHERE c.process_ptr_id >= {process} "
            f'AND NOT EXISTS (SELECT 1 FROM "{table}" x WHERE x.case_id = c.process_ptr_id)'
        )
        copied[table] = cursor.rowcount
    cursor.execute("ANALYZE audit_auditevent")
    cursor.execute("ANALYZE cases_attachment")
    return copied


def export_in_child(scope: dict, path: str) -> dict:
    """Run `manage.py evidence_export` as a child process on the bench database: its wall time and
    its peak resident memory (the child's ru_maxrss: the whole process, Django included)."""
    command = [sys.executable, str(ROOT / "manage.py"), "evidence_export", "--out", path]
    command += ["--from", scope["date_from"], "--to", scope["date_to"]]
    started = time.perf_counter()
    done = subprocess.run(command, env=os.environ.copy(), capture_output=True, text=True, check=False)
    took = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"evidence_export failed: {done.stderr[-2000:]}")
    return {
        "seconds": round(took, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "said": done.stdout.strip(),
    }


def measure(size: int) -> dict:
    from django.utils import timezone

    from apps.cases.models import Case
    from apps.evidence.verify import pack_verify

    oldest = Case.objects.order_by("created").values_list("created", flat=True).first()
    scope = {
        "date_from": timezone.localdate(oldest - timedelta(days=1)).isoformat(),
        "date_to": timezone.localdate().isoformat(),
    }
    fd, path = tempfile.mkstemp(prefix="wms_bench_evidence_", suffix=".zip")
    os.close(fd)
    try:
        exported = export_in_child(scope, path)
        started = time.perf_counter()
        # NOTE: the clones' audit events are copies of their templates' rows, hashes included, so
        # the history is no hash chain: the check covers the files and the manifest, not the chain.
        report = pack_verify(path, chain=False)
        verify_seconds = time.perf_counter() - started
        if not report.ok:
            raise SystemExit(f"the pack does not verify: {report.message}")
        counts = report.manifest["counts"]
        if counts["attachment_files"] != counts["attachments"]:
            raise SystemExit(f"attachment files missing from the pack: {counts}")
        return {
            "size": size,
            "cases": counts["cases"],
            "events": counts["events"],
            "decisions": counts["decisions"],
            "attachments": counts["attachments"],
            "pack_mb": round(os.path.getsize(path) / 2**20, 1),
            "export_s": exported["seconds"],
            "export_peak_rss_mb": exported["peak_rss_mb"],
            "verify_s": round(verify_seconds, 1),
            "range": scope,
            "load": round(os.getloadavg()[0], 2),
        }
    finally:
        Path(path).unlink(missing_ok=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated numbers of real cases")
    parser.add_argument("--per-day", type=int, default=150, help="closed cases per calendar day of history")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    if not (os.environ.get("DATABASE_URL") or "").startswith("postgres"):
        raise SystemExit("bench/evidence.py measures PostgreSQL: set DATABASE_URL=postgres://...")
    drop = create_database()
    media = tempfile.mkdtemp(prefix="wms_bench_media_")
    os.environ["BENCH_MEDIA_ROOT"] = media  # the export's child process reads the same files
    print(f"database {os.environ['BENCH_DB_NAME']}", file=sys.stderr)
    try:
        import django

        django.setup()
        from django.db import connection

        started = time.perf_counter()
        ctx = build_templates(random.Random(args.seed))
        ctx["closed_rounds"] = 0
        ctx["template_attachments"] = attach_templates()
        print(
            f"templates in {time.perf_counter() - started:.0f} s: {ctx['template_closed']} closed, "
            f"{ctx['template_open']} open, {ctx['template_attachments']} attachments",
            file=sys.stderr,
        )
        with connection.cursor() as cursor:
            cloner = Cloner(cursor)
        for size in sizes:
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cloner.cursor = cursor
                built = grow(cursor, cloner, ctx, size, args.per_day)
                built["copied"] = clone_trails(cursor, cloner)
            built["seconds"] = round(time.perf_counter() - started)
            print(f"{size} cases: {json.dumps(built, default=str)}", file=sys.stderr)
            print(json.dumps({**measure(size), "vendor": connection.vendor}), flush=True)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"kept database {os.environ['BENCH_DB_NAME']}", file=sys.stderr)
        else:
            drop()
        shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    main()
