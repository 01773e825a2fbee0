"""Writing a pack: a ZIP written member by member onto a file object, each member hashed
(SHA-256) as its bytes go out, rows read from the database in chunks. Nothing holds the whole
pack, or a whole file of it, in memory; `manifest.json` comes last and lists every other file.

Layout (README "Evidence packs"):

    manifest.json                     range, who exported it and when, counts, chain heads, files
    cases.csv / cases.json            the cases of the range
    decisions.jsonl                   every decision on them: actor, on behalf of, reason code,
                                      reason, comment, and the case data it was taken on
    audit_events.jsonl                the full audit trail of those cases, one event a line, with
                                      its place in the hash chain (apps.audit.chain.event_row)
    workflows/versions.json           the versions in force, and which cases run on each
    workflows/<key>/v<N>/spec.json    each version's spec, as published
    workflows/<key>/v<N>/sop.md       and its standard operating procedure
    attachments.csv                   each attachment with its recorded and its actual SHA-256
    attachments/<case>/<id>-<name>    the attachments' files
    roles/memberships.csv             who holds which role at the time of the export
    roles/changes.jsonl               grants and removals of roles recorded in the range (chain rows too)
"""

import csv
import hashlib
import json
import re
import tempfile
import zipfile
from contextlib import contextmanager
from datetime import UTC, datetime

from apps.audit.chain import chain_heads, event_row
from apps.core.csvsafe import formula_safe
from apps.definitions.sop import sop_markdown

from . import selectors
from .ranges import EvidenceRange

FORMAT = "wms-evidence-pack"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BUFFER_BYTES = 256 * 1024
FILE_CHUNK = 1024 * 1024
MISSING_FILE = "missing"
SYSTEM_UPLOADER = "system"  # taken by the system: a UI step's screenshot

CASE_COLUMNS = [
    "case_id",
    "workflow",
    "version",
    "requester",
    "state",
    "outcome",
    "status",
    "started",
    "closed",
    "closed_reason",
    "stage",
    "data",
]
ATTACHMENT_COLUMNS = [
    "case_id",
    "attachment_id",
    "name",
    "size",
    "content_type",
    "uploaded_by",
    "uploaded_at",
    "sha256_recorded",
    "sha256_file",
    "sha256_matches",
    "file_in_pack",
]
MEMBERSHIP_COLUMNS = ["role", "username", "user_id", "full_name", "active"]
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def moment(value: datetime | None) -> str | None:
    """A moment as ISO-8601 in UTC with microseconds (one spelling for every file)."""
    return value.astimezone(UTC).isoformat() if value is not None else None


def dumps(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def cell(value) -> str:
    """A CSV cell of a pack, made inert if it starts like a formula (apps.core.csvsafe). The JSON
    files keep every value exactly as stored."""
    return formula_safe("" if value is None else str(value))


class Member:
    """One file of the pack, open for writing: text or bytes in, hashed and counted as written."""

    def __init__(self, archive: zipfile.ZipFile, name: str):
        self.name = name
        self._raw = archive.open(name, "w", force_zip64=True)  # size unknown before the end
        self._sha = hashlib.sha256()
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self.size = 0

    def write(self, data: str | bytes) -> None:
        chunk = data.encode("utf-8") if isinstance(data, str) else data
        self._pending.append(chunk)
        self._pending_bytes += len(chunk)
        if self._pending_bytes >= BUFFER_BYTES:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            block = b"".join(self._pending)
            self._pending, self._pending_bytes = [], 0
            self._sha.update(block)
            self.size += len(block)
            self._raw.write(block)

    def close(self) -> dict:
        self.flush()
        self._raw.close()
        return {"sha256": self._sha.hexdigest(), "bytes": self.size}


class PackWriter:
    def __init__(self, out):
        self.archive = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self.files: dict[str, dict] = {}

    @contextmanager
    def member(self, name: str):
        if name in self.files or name == MANIFEST:
            raise ValueError(f"{name} is written twice")
        member = Member(self.archive, name)
        yield member
        self.files[name] = member.close()

    def finish(self, manifest: dict) -> bytes:
        body = (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
        self.archive.writestr(MANIFEST, body)
        self.archive.close()
        return body


def _csv(member: Member, columns: list[str]):
    writer = csv.writer(member, lineterminator="\r\n")
    writer.writerow(columns)
    return writer


def _write_cases(pack: PackWriter, cases) -> int:
    """cases.csv and cases.json from one read of the cases, so both list the same ones; the JSON
    waits in a temporary file while the CSV is written (one member at a time)."""
    count = 0
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="") as spool:
        spool.write("[")
        with pack.member("cases.csv") as out:
            writer = _csv(out, CASE_COLUMNS)
            for case in selectors.case_rows(cases=cases):
                row = _case_row(case)
                writer.writerow([cell(row[c]) if c != "data" else cell(dumps(row["data"])) for c in CASE_COLUMNS])
                spool.write(("\n" if count == 0 else ",\n") + dumps({**row, "route": case.route or {}}))
                count += 1
        spool.write("\n]\n")
        _copy_spool(pack, "cases.json", spool)
    return count


def _copy_spool(pack: PackWriter, name: str, spool) -> None:
    spool.seek(0)
    with pack.member(name) as out:
        while block := spool.read(BUFFER_BYTES):
            out.write(block)


def _case_row(case) -> dict:
    return {
        "case_id": case.pk,
        "workflow": case.workflow_key,
        "version": case.version_number,
        "requester": case.requester.get_username(),
        "state": case.state,
        "outcome": case.outcome or "",
        "status": case.status_label,
        "started": moment(case.created),
        "closed": moment(case.finished),
        "closed_reason": case.closed_reason,
        "stage": case.stage,
        "data": case.data or {},
    }


def _write_lines(pack: PackWriter, name: str, rows, shape) -> int:
    count = 0
    with pack.member(name) as out:
        for row in rows:
            out.write(dumps(shape(row)) + "\n")
            count += 1
    return count


def decision_line(event) -> dict:
    context = event.context or {}
    return {
        "event_id": event.pk,
        "case_id": event.case_id,
        "task_id": event.task_id,
        "at": moment(event.at),
        "workflow": event.workflow,
        "version": event.version,
        "step": event.step,
        "stage": context.get("stage", ""),
        "round": context.get("round"),
        "decision": context.get("decision", ""),
        "actor": event.actor_name,
        "actor_id": event.actor_id,
        "on_behalf_of": context.get("on_behalf_of", ""),
        "reason_code": context.get("reason_code", ""),
        "reason": event.reason,
        "comment": event.comment,
        "data": event.data,
    }


def _write_versions(pack: PackWriter, scope: EvidenceRange, cases) -> int:
    listed = []
    for version, pinned in selectors.versions_in_force(scope=scope, cases=cases):
        folder = f"workflows/{version.definition.key}/v{version.number}"
        with pack.member(f"{folder}/spec.json") as out:
            out.write(json.dumps(version.spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        with pack.member(f"{folder}/sop.md") as out:
            out.write(sop_markdown(version=version))
        listed.append(
            {
                "workflow": version.definition.key,
                "name": version.definition.name,
                "version": version.number,
                "published_at": moment(version.published_at),
                "published_by": version.published_by.get_username() if version.published_by else None,
                "change_note": version.change_note,
                "content_hash": version.content_hash,
                "cases_in_pack": pinned,
                "spec": f"{folder}/spec.json",
                "sop": f"{folder}/sop.md",
            }
        )
    with pack.member("workflows/versions.json") as out:
        out.write(json.dumps(listed, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return len(listed)


def _write_attachments(pack: PackWriter, cases) -> dict:
    """Each attachment's file, then attachments.csv. One member is written at a time, so the
    CSV's rows wait in a temporary file meanwhile, not in memory."""
    counts = {"attachments": 0, "attachment_files": 0, "attachments_not_matching": 0}
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="") as spool:
        writer = csv.writer(spool, lineterminator="\r\n")
        writer.writerow(ATTACHMENT_COLUMNS)
        for attachment in selectors.attachment_rows(cases=cases):
            safe = SAFE_NAME.sub("_", attachment.name)[:100].strip("._") or "file"
            path = f"attachments/{attachment.case_id}/{attachment.pk}-{safe}"
            actual = _copy_file(pack, path, attachment)
            matches = actual == attachment.sha256
            counts["attachments"] += 1
            counts["attachment_files"] += actual is not None
            counts["attachments_not_matching"] += not matches
            writer.writerow(
                [
                    attachment.case_id,
                    attachment.pk,
                    cell(attachment.name),
                    attachment.size,
                    cell(attachment.content_type),
                    cell(attachment.uploaded_by.get_username() if attachment.uploaded_by_id else SYSTEM_UPLOADER),
                    moment(attachment.created),
                    attachment.sha256,
                    actual or "",
                    "yes" if matches else "no",
                    path if actual is not None else MISSING_FILE,
                ]
            )
        _copy_spool(pack, "attachments.csv", spool)
    return counts


def _copy_file(pack: PackWriter, path: str, attachment) -> str | None:
    """Copy the stored file into the pack; its SHA-256 as read, or None if it cannot be read."""
    try:
        source = attachment.file.open("rb")
    except (OSError, ValueError):
        return None
    with source, pack.member(path) as out:
        while block := source.read(FILE_CHUNK):
            out.write(block)
    return pack.files[path]["sha256"]


def _write_roles(pack: PackWriter, scope: EvidenceRange) -> dict:
    members = 0
    with pack.member("roles/memberships.csv") as out:
        writer = _csv(out, MEMBERSHIP_COLUMNS)
        for row in selectors.role_memberships():
            user = row.user
            writer.writerow(
                [cell(row.group.name), cell(user.get_username()), user.pk, cell(user.get_full_name()), user.is_active]
            )
            members += 1
    changes = _write_lines(pack, "roles/changes.jsonl", selectors.role_change_rows(scope=scope), event_row)
    return {"role_memberships": members, "role_changes": changes}


def pack_write(*, out, scope: EvidenceRange, exported_by: dict, exported_at: datetime) -> tuple[dict, bytes]:
    """Write the pack of `scope` onto the binary file object `out`; returns (manifest, the
    manifest's bytes as written)."""
    cases = selectors.evidence_cases(scope=scope)
    pack = PackWriter(out)
    counts = {"cases": _write_cases(pack, cases)}
    counts["decisions"] = _write_lines(pack, "decisions.jsonl", selectors.decision_rows(cases=cases), decision_line)
    counts["events"] = _write_lines(pack, "audit_events.jsonl", selectors.event_rows(cases=cases), event_row)
    counts["versions"] = _write_versions(pack, scope, cases)
    counts.update(_write_attachments(pack, cases))
    counts.update(_write_roles(pack, scope))
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "range": scope.as_dict(),
        "exported_by": exported_by,
        "exported_at": moment(exported_at),
        "counts": counts,
        "chain": {
            # The last event of each day (UTC) from the range's first day to the day of the export,
            # as the database holds them now: a later rewrite of the trail's tail no longer matches.
            "heads": chain_heads(
                day_from=scope.date_from, day_to=max(scope.date_to, exported_at.astimezone(UTC).date())
            ),
            "verified_in_pack": "each event's hash; per case, the links from its first event on",
        },
        "files": {name: pack.files[name] for name in sorted(pack.files)},
    }
    return manifest, pack.finish(manifest)
