"""evidence_verify: a pack as exported is intact; one changed byte, a file added or removed, or a
file rewritten with its hash left as it was, is named."""

import hashlib
import io
import json
import zipfile
import zlib

import pytest
from django.core.management import CommandError, call_command

from apps.evidence.services import VIA_COMMAND
from apps.evidence.verify import pack_verify

from .conftest import Pack, today


@pytest.fixture
def pack_file(history, tmp_path):
    path = tmp_path / "pack.zip"
    call_command("evidence_export", "--from", today(), "--to", today(), "--out", str(path), stdout=io.StringIO())
    return path


def _rewrite(path, change):
    """Copy the pack member by member, letting `change(name, body)` return a new body or None
    (drop it); returns the new pack's bytes."""
    source = zipfile.ZipFile(path)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            body = change(name, source.read(name))
            if body is not None:
                target.writestr(name, body)
    return out.getvalue()


def verify(raw: bytes):
    return pack_verify(io.BytesIO(raw))


def test_an_exported_pack_is_intact(pack_file):
    out = io.StringIO()
    call_command("evidence_verify", str(pack_file), stdout=out)
    assert out.getvalue().startswith("pack intact: ")
    assert f"range {today()} to {today()}, exported by SYSTEM" in out.getvalue()
    assert Pack(pack_file.read_bytes()).manifest["exported_by"]["via"] == VIA_COMMAND


def test_one_changed_byte_in_any_file_is_named(pack_file):
    raw = pack_file.read_bytes()
    archive = zipfile.ZipFile(pack_file)
    for info in archive.infolist():
        if info.compress_size == 0:
            continue
        # The member's data starts after its local header (30 bytes, its name, its extra field).
        header = raw[info.header_offset : info.header_offset + 30]
        start = (
            info.header_offset + 30 + int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")
        )
        original = archive.read(info.filename)
        # A flipped bit in compressed data may be one DEFLATE never reads (an unused Huffman code's
        # length, say): the file is then not changed at all. Damage the first byte from the middle
        # on whose flip changes what the file holds, or breaks reading it.
        for position in range(start + info.compress_size // 2, start + info.compress_size):
            damaged = bytearray(raw)
            damaged[position] ^= 0x01
            if _reads_differently(bytes(damaged), info.filename, original):
                break
        else:
            pytest.fail(f"no single flipped bit changes {info.filename}")
        report = verify(bytes(damaged))
        assert not report.ok, info.filename
        assert info.filename in report.message, report.message


def _reads_differently(pack: bytes, name: str, original: bytes) -> bool:
    try:
        return zipfile.ZipFile(io.BytesIO(pack)).read(name) != original
    except (zipfile.BadZipFile, zlib.error, EOFError):
        return True


def test_the_command_exits_1_naming_the_file(pack_file, tmp_path):
    changed = _rewrite(pack_file, lambda name, body: body.replace(b"Q3 budget", b"Q4 budget"))
    target = tmp_path / "changed.zip"
    target.write_bytes(changed)
    with pytest.raises(CommandError) as failed:
        call_command("evidence_verify", str(target))
    assert failed.value.returncode == 1
    assert str(failed.value).startswith("pack damaged: file audit_events.jsonl was changed")


def test_a_file_rewritten_with_a_valid_zip_is_caught_by_its_hash(pack_file):
    report = verify(_rewrite(pack_file, lambda name, body: body.replace(b"over_budget", b"not_needed")))
    assert not report.ok
    assert report.message.startswith("file audit_events.jsonl was changed: its SHA-256 is ")


def test_a_missing_or_extra_file_is_named(pack_file):
    report = verify(_rewrite(pack_file, lambda name, body: None if name == "decisions.jsonl" else body))
    assert report.message == "file decisions.jsonl is listed in the manifest but missing from the pack"

    def extra(name, body):
        return body

    raw = _rewrite(pack_file, extra)
    out = io.BytesIO(raw)
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr("notes.txt", b"added later")
    assert verify(out.getvalue()).message == "file notes.txt is in the pack but not in its manifest"


def test_a_pack_without_manifest_or_not_a_zip(pack_file):
    report = verify(_rewrite(pack_file, lambda name, body: None if name == "manifest.json" else body))
    assert report.message.startswith("manifest.json is missing")
    assert verify(b"PK not really").message.startswith("not a readable ZIP")


def _forged(pack_file, change):
    """The pack with `change(lines)` applied to audit_events.jsonl and the manifest rewritten to
    match (new hashes, sizes and counts): what someone who can edit the file would do."""
    source = zipfile.ZipFile(pack_file)
    lines = source.read("audit_events.jsonl").decode().splitlines(keepends=True)
    events = change(lines).encode()
    manifest = json.loads(source.read("manifest.json"))
    manifest["files"]["audit_events.jsonl"] = {"sha256": hashlib.sha256(events).hexdigest(), "bytes": len(events)}
    manifest["counts"]["events"] = events.count(b"\n")
    bodies = {"audit_events.jsonl": events, "manifest.json": json.dumps(manifest).encode()}
    return _rewrite(pack_file, lambda name, body: bodies.get(name, body))


def test_an_event_changed_with_a_matching_manifest_is_named_by_the_chain(pack_file):
    def change(lines):
        index = next(i for i, line in enumerate(lines) if '"Q3 budget is spent."' in line)
        row = json.loads(lines[index])
        lines[index] = lines[index].replace("Q3 budget is spent.", "Within budget.")
        change.row = row
        return "".join(lines)

    report = verify(_forged(pack_file, change))
    assert not report.ok
    assert report.message.startswith("audit_events.jsonl: chain broken: ")
    assert f"event #{change.row['seq']} (id {change.row['id']})" in report.message
    assert "changed" in report.message


def test_an_event_removed_with_a_matching_manifest_is_named_by_the_chain(pack_file):
    def drop(lines):
        index = next(i for i, line in enumerate(lines) if '"action":"task.decided"' in line)
        drop.row = json.loads(lines[index])
        return "".join(lines[:index] + lines[index + 1 :])

    report = verify(_forged(pack_file, drop))
    assert not report.ok
    assert "missing" in report.message, report.message
    assert f"case {drop.row['case_id']}" in report.message


def test_the_events_carry_their_chain_and_the_manifest_the_heads(pack_file):
    from apps.audit.chain import event_hash
    from apps.audit.models import AuditEvent

    pack = Pack(pack_file.read_bytes())
    events = pack.lines("audit_events.jsonl")
    assert events and all(event_hash(row) == row["hash"] for row in events)
    assert [row["seq"] for row in events] == sorted(row["seq"] for row in events)
    heads = pack.manifest["chain"]["heads"]
    last = AuditEvent.objects.exclude(action="evidence.exported").order_by("-seq").first()
    assert heads[-1] == {"day": heads[-1]["day"], "seq": last.seq, "hash": last.hash}
