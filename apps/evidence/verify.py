"""Checking a pack offline: no database, only the ZIP.

1. `manifest.json` is there and readable;
2. the pack holds exactly the files the manifest lists (none missing, none extra);
3. every file's SHA-256 is the manifest's (a file is read in blocks, never whole);
4. the counts the manifest states match the lines of the files they count;
5. the hash chain inside (apps.audit.chain.verify_rows, complete=False: a pack holds some cases
   only): every event's hash over its content, and per case the links from its first event on,
   so an event changed, removed, added or moved is named even when the manifest was rewritten
   to match.

The first failure is reported by name; one changed byte anywhere in a file's data fails step 3
(or ZIP's own CRC check, which fails reading the same file).
"""

import hashlib
import json
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field

from apps.audit.chain import verify_rows

from .writer import FORMAT, MANIFEST

BLOCK = 1024 * 1024
CHAINED = ["audit_events.jsonl", "roles/changes.jsonl"]
COUNTED_LINES = {"events": "audit_events.jsonl", "decisions": "decisions.jsonl", "role_changes": "roles/changes.jsonl"}


@dataclass
class PackReport:
    ok: bool
    message: str
    files: int = 0
    events: int = 0
    manifest: dict = field(default_factory=dict)


class PackBroken(Exception):
    pass


def _manifest(archive: zipfile.ZipFile) -> dict:
    if MANIFEST not in archive.namelist():
        raise PackBroken(f"{MANIFEST} is missing: this is not an evidence pack, or its manifest was removed")
    try:
        manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except (zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError, ValueError) as error:
        raise PackBroken(f"{MANIFEST} is damaged: {error}") from None
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or not isinstance(manifest.get("files"), dict)
    ):
        raise PackBroken(f"{MANIFEST} is not the manifest of an evidence pack ({FORMAT})")
    return manifest


def _file_digest(archive: zipfile.ZipFile, name: str) -> tuple[str, int]:
    """SHA-256 and line count of one member, read in blocks."""
    digest, lines = hashlib.sha256(), 0
    try:
        with archive.open(name) as member:
            while block := member.read(BLOCK):
                digest.update(block)
                lines += block.count(b"\n")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        raise PackBroken(f"file {name} is damaged: {error}") from None
    return digest.hexdigest(), lines


def _check_files(archive: zipfile.ZipFile, manifest: dict) -> dict[str, int]:
    seen = Counter(archive.namelist())
    twice = sorted(name for name, times in seen.items() if times > 1)
    if twice:
        raise PackBroken(f"file {twice[0]} is in the pack twice")
    names = [n for n in seen if n != MANIFEST]
    listed = manifest["files"]
    extra = sorted(set(names) - set(listed))
    if extra:
        raise PackBroken(f"file {extra[0]} is in the pack but not in its manifest")
    missing = sorted(set(listed) - set(names))
    if missing:
        raise PackBroken(f"file {missing[0]} is listed in the manifest but missing from the pack")
    lines = {}
    for name in sorted(listed):
        expected = (listed[name] or {}).get("sha256") if isinstance(listed[name], dict) else None
        actual, lines[name] = _file_digest(archive, name)
        if actual != expected:
            raise PackBroken(f"file {name} was changed: its SHA-256 is {actual}, the manifest says {expected}")
    return lines


def _check_counts(manifest: dict, lines: dict[str, int]) -> None:
    counts = manifest.get("counts") or {}
    for key, name in COUNTED_LINES.items():
        if key in counts and name in lines and counts[key] != lines[name]:
            raise PackBroken(f"file {name} holds {lines[name]} lines, the manifest counts {counts[key]}")


def _rows(archive: zipfile.ZipFile, name: str):
    with archive.open(name) as member:
        for number, line in enumerate(member, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError:
                    raise PackBroken(f"file {name}, line {number}: not a JSON object") from None


def _check_chain(archive: zipfile.ZipFile, manifest: dict) -> None:
    for name in CHAINED:
        if name not in manifest["files"]:
            continue
        report = verify_rows(_rows(archive, name), complete=False)
        if not report.ok:
            raise PackBroken(f"{name}: {report.message}")


def pack_verify(source, *, chain: bool = True) -> PackReport:
    """Check the pack at `source` (a path or a binary file object); `chain=False` skips step 5
    (bench/evidence.py: its cloned events keep their templates' hashes)."""
    try:
        with zipfile.ZipFile(source) as archive:
            manifest = _manifest(archive)
            lines = _check_files(archive, manifest)
            _check_counts(manifest, lines)
            if chain:
                _check_chain(archive, manifest)
    except PackBroken as broken:
        return PackReport(ok=False, message=str(broken))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        return PackReport(ok=False, message=f"not a readable ZIP: {error}")
    events = lines.get(COUNTED_LINES["events"], 0)
    scope = manifest.get("range") or {}
    by = (manifest.get("exported_by") or {}).get("username", "?")
    message = (
        f"pack intact: {len(manifest['files']) + 1} files, {events} audit events, "
        f"range {scope.get('from')} to {scope.get('to')}, exported by {by} at {manifest.get('exported_at')}"
    )
    return PackReport(ok=True, message=message, files=len(manifest["files"]) + 1, events=events, manifest=manifest)
