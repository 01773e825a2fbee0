"""The audit trail's hash chain: how an event is linked when written, and how a run of events
is verified, in the database or offline from an export (README "Tamper-evident audit trail").

One chain for the installation: every event carries its position (`seq`), the hash of the event
before it (`prev_hash`) and, when it belongs to a case, the hash of that case's previous event
(`case_prev_hash`). Its `hash` is SHA-256 over its canonical content and both links, so changing,
removing, adding or moving an event breaks a link that a verifier can name. The per-case link lets
a pack that holds only some cases be checked per case without the events of the others.

The canonical content and the hash are a contract with every export ever made: never change them.
"""

import hashlib
import json
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection
from django.db.models import Max, Min, Subquery
from django.db.models.functions import TruncDate

GENESIS = "0" * 64  # the link of the first event of the chain and of each case
# NOTE: one advisory lock key for the whole installation: writers of audit events queue on it
# (PostgreSQL). SQLite needs none: the project opens its transactions IMMEDIATE, one writer at a time.
LOCK_KEY = 7_305_812_330_157_405_000
# Rows the verifier reads past a broken link to tell a moved event from a missing one.
LOOKAHEAD = 1000

# The fields an export writes per event, in this order; all but id, seq and hash are hashed.
ROW_FIELDS = (
    "id",
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "case_id",
    "task_id",
    "workflow",
    "version",
    "step",
    "reason",
    "comment",
    "data",
    "context",
    "prev_hash",
    "case_prev_hash",
    "hash",
)
HASHED_FIELDS = tuple(name for name in ROW_FIELDS if name not in ("id", "seq", "hash"))
_VALUE_FIELDS = tuple(name for name in ROW_FIELDS if name != "hash") + ("hash",)

CHANGED, MISSING, INSERTED, REORDERED = "changed", "missing", "inserted", "reordered"


def moment_text(moment: datetime) -> str:
    """ISO-8601 in UTC with microseconds, e.g. 2026-12-02T17:55:52.123456Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def plain_json(value):
    """The value as it reads back from any JSON column: through JSON once, and an integral
    float as an int (PostgreSQL's jsonb returns 1e16 as 10000000000000000)."""
    return _canon(json.loads(json.dumps(value)))


def _canon(value):
    if isinstance(value, dict):
        return {key: _canon(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canon(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _row(values: dict) -> dict:
    row = {name: values.get(name) for name in ROW_FIELDS}
    if isinstance(row["at"], datetime):
        row["at"] = moment_text(row["at"])
    return row


def event_row(event) -> dict:
    """The canonical, JSON-able row of one event, links and hash included: an export's line."""
    return _row({name: getattr(event, name if name != "id" else "pk") for name in ROW_FIELDS})


def event_hash(row: dict) -> str:
    """SHA-256 (hex) of a row's canonical content and links; no database needed."""
    content = {name: row.get(name) for name in HASHED_FIELDS}
    content["data"] = _canon(content["data"] or {})
    content["context"] = _canon(content["context"] or {})
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


# -- writing -------------------------------------------------------------------------------------


def chain_link(events: list) -> None:
    """Give unsaved events their place in the chain, in list order; the caller inserts them in the
    same transaction. Costs one lock (PostgreSQL) and one read of the heads."""
    assert connection.in_atomic_block, "events are chained in the transaction that writes them"
    from .models import AuditEvent

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
    case_ids = {event.case_id for event in events if event.case_id is not None}
    # NOTE: UNION ALL, not OR: PostgreSQL answers each part from an index; an OR scans the table.
    columns = ("case_id", "seq", "hash")
    heads = (
        AuditEvent.objects.filter(seq=Subquery(AuditEvent.objects.order_by("-seq").values("seq")[:1]))
        .order_by()
        .values_list(*columns)
    )
    if case_ids:
        per_case = AuditEvent.objects.filter(case_id__in=case_ids).order_by().values("case_id")
        last_of_cases = per_case.annotate(last=Max("seq")).values("last")
        heads = heads.union(AuditEvent.objects.filter(seq__in=last_of_cases).order_by().values_list(*columns), all=True)
    seq, head, case_heads = 0, GENESIS, {}
    for case_id, row_seq, row_hash in sorted(heads, key=lambda row: row[1]):
        seq, head = (row_seq, row_hash) if row_seq > seq else (seq, head)
        if case_id in case_ids:
            case_heads[case_id] = row_hash
    chain_continue(events, seq=seq, head=head, case_heads=case_heads)


def chain_continue(events: list, *, seq: int, head: str, case_heads: dict) -> tuple[int, str]:
    """Link events, in list order, after the chain's head (`seq`, `head`) and each case's head in
    `case_heads` (case id: hash; updated here). Returns the new (seq, head). No database: the
    live writer (chain_link) and migration 0008's backfill of older events both call it."""
    for event in events:
        event.data, event.context = plain_json(event.data or {}), plain_json(event.context or {})
        seq += 1
        event.seq, event.prev_hash = seq, head
        event.case_prev_hash = case_heads.get(event.case_id, GENESIS) if event.case_id is not None else ""
        event.hash = head = event_hash(event_row(event))
        if event.case_id is not None:
            case_heads[event.case_id] = event.hash
    return seq, head


# -- verifying -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    seq: int | None
    id: int | None
    how: str  # changed, missing, inserted, reordered
    case_id: int | None = None


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    count: int
    first_break: ChainBreak | None
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


def _name(row: dict) -> str:
    return f"event #{row.get('seq')} (id {row.get('id')})"


def _words(how: str, row: dict, before: dict | None, *, per_case: bool) -> str:
    case = f" of case {row.get('case_id')}" if per_case else ""
    after = f" after {_name(before)}" if before and before.get("id") is not None else " at the start"
    if how == CHANGED and row.get("_head_day"):
        return (
            f"{_name(row)} was changed: it no longer matches the chain head recorded for {row['_head_day']},"
            " so the chain was rewritten from here or before."
        )
    if how == CHANGED:
        return f"{_name(row)}{case} was changed after it was written: its content no longer matches its hash."
    if how == INSERTED:
        return f"{_name(row)}{case} was inserted: the chain continues{after} as if it were not there."
    if how == REORDERED:
        return f"{_name(row)}{case} was reordered: it links to an event that comes after it."
    gap = ""
    if not per_case and before and row.get("seq") and before.get("seq") and row["seq"] > before["seq"] + 1:
        first, last = before["seq"] + 1, row["seq"] - 1
        gap = f" (#{first}" + (f" to #{last}" if last > first else "") + ")"
    what = f"an event{case}" if per_case else "an event"
    return f"{what[0].upper()}{what[1:]} is missing{gap} before {_name(row)}{after}: its link leads nowhere."


class _Line:
    """One chain being read in order: the global chain, or one case's events."""

    def __init__(self, *, link: str, per_case: bool, anchor: dict | None = None, strict_start: bool = False):
        self.link, self.per_case = link, per_case
        self.last, self.before_last = anchor, None
        self.strict_start = strict_start  # the first row must link to GENESIS
        self.recent = deque(maxlen=LOOKAHEAD)
        self.pending = None  # (how-if-unresolved, row, predecessor, rows seen since)
        self.found = None  # (position, how, row, predecessor)

    def feed(self, row: dict, position: int, valid: bool) -> None:
        if self.found:
            return
        if self.pending:
            self._resolve(row, position)
            return
        before = self.last
        expected = before["hash"] if before else (GENESIS if self.strict_start else None)
        link = row.get(self.link)
        if not valid:
            if expected is None or link == expected:
                self.found = (position, CHANGED, row, before)
            else:  # a forged row with a made-up hash: inserted if the next one skips it
                self.pending = (CHANGED, row, before, 0, position)
        elif expected is not None and link != expected:
            if self.before_last and link == self.before_last["hash"]:
                self.found = (position - 1, INSERTED, before, self.before_last)
            elif link in self.recent:
                self.found = (position, REORDERED, row, before)
            elif not self.per_case and before and (row.get("seq") or 0) > (before.get("seq") or 0) + 1:
                self.found = (position, MISSING, row, before)
            else:
                self.pending = (MISSING, row, before, 0, position)
        elif not self.per_case and before and row.get("seq") != (before.get("seq") or 0) + 1:
            self.found = (position, CHANGED, row, before)  # its position was rewritten
        if before is not None:
            self.recent.append(before["hash"])
        self.before_last, self.last = before, row

    def _resolve(self, row: dict, position: int) -> None:
        how, broken, before, seen, at = self.pending
        if row.get("hash") == broken.get(self.link):
            self.found = (at, REORDERED, broken, before)
        elif seen == 0 and before and row.get(self.link) == before["hash"]:
            self.found = (at, INSERTED, broken, before)
        elif seen + 1 >= LOOKAHEAD or how == CHANGED:
            self.found = (at, how, broken, before)
        else:
            self.pending = (how, broken, before, seen + 1, at)

    def finish(self) -> None:
        if self.pending and not self.found:
            how, broken, before, _, at = self.pending
            self.found = (at, how, broken, before)

    def definite(self) -> bool:
        return self.found is not None


def _report(lines: Iterable[_Line], count: int) -> ChainReport:
    found = [line for line in lines if line.found]
    if not found:
        return ChainReport(ok=True, count=count, first_break=None, message=f"chain intact: {count} events")
    line = min(found, key=lambda each: each.found[0])
    _, how, row, before = line.found
    message = "chain broken: " + _words(how, row, before, per_case=line.per_case)
    first = ChainBreak(seq=row.get("seq"), id=row.get("id"), how=how, case_id=row.get("case_id"))
    return ChainReport(ok=False, count=count, first_break=first, message=message)


def verify_rows(rows: Iterable[dict], *, complete: bool, anchor: dict | None = None) -> ChainReport:
    """Check rows (as `event_row` writes them) offline, in the order given (by seq).

    complete=True: a contiguous run of the global chain (a run that starts at #1 must start at the
    beginning; otherwise the first row's link is taken on trust, or checked against `anchor`, the
    row before it). complete=False: a pack's subset, all events of some cases: each event's hash,
    and per case the links from its first event on.
    """
    count = 0
    if complete:
        line = None
        for count, row in enumerate(rows, start=1):
            if line is None:
                line = _Line(link="prev_hash", per_case=False, anchor=anchor, strict_start=row.get("seq") == 1)
            line.feed(row, count, event_hash(row) == row.get("hash"))
            if line.definite():
                break
        if line is None:
            return ChainReport(ok=True, count=0, first_break=None, message="chain intact: 0 events")
        line.finish()
        return _report([line], count)
    cases: dict = {}
    loose = _Line(link="prev_hash", per_case=False)  # events of no case: their hash only
    for count, row in enumerate(rows, start=1):
        valid = event_hash(row) == row.get("hash")
        case_id = row.get("case_id")
        if case_id is None:
            if not valid and not loose.found:
                loose.found = (count, CHANGED, row, None)
            continue
        if case_id not in cases:
            cases[case_id] = _Line(link="case_prev_hash", per_case=True, strict_start=True)
        cases[case_id].feed(row, count, valid)
    for line in cases.values():
        line.finish()
    return _report([*cases.values(), loose], count)


def _stream(queryset) -> Iterator[dict]:
    for values in queryset.values(*_VALUE_FIELDS).iterator(chunk_size=2000):
        yield _row(values)


def verify_database(*, moment_from: datetime | None = None, moment_to: datetime | None = None) -> ChainReport:
    """Verify the chain in the database, streaming, from the first event written at or after
    `moment_from` to the last one before `moment_to`; and that the chain heads recorded in the
    evidence log (ChainHead) still match the events they name."""
    from .models import AuditEvent, ChainHead

    events = AuditEvent.objects.order_by("seq")
    first = events.filter(at__gte=moment_from).aggregate(s=Min("seq"))["s"] if moment_from else 1
    last = events.filter(at__lt=moment_to).aggregate(s=Max("seq"))["s"] if moment_to else None
    if first is None or (moment_to and last is None):
        return ChainReport(ok=True, count=0, first_break=None, message="chain intact: 0 events")
    run = events.filter(seq__gte=first, **({"seq__lte": last} if last is not None else {}))
    # The run links to the event before it, or to the chain's start when there is none.
    anchor_values = events.filter(seq__lt=first).order_by("-seq").values(*_VALUE_FIELDS).first()
    anchor = _row(anchor_values) if anchor_values else {"seq": 0, "hash": GENESIS, "id": None}
    heads = {
        head.seq: head
        for head in ChainHead.objects.filter(seq__gte=first, **({"seq__lte": last} if last is not None else {}))
    }
    report = verify_rows(_checked_against(_stream(run), heads), complete=True, anchor=anchor)
    if report.ok and heads and not moment_to:
        top = AuditEvent.objects.aggregate(s=Max("seq"))["s"] or 0
        lost = [head for seq, head in sorted(heads.items()) if seq > top]
        if lost:
            head = lost[0]
            message = (
                f"chain broken: events after #{top} are missing: the chain head recorded for {head.day}"
                f" was event #{head.seq}."
            )
            first_break = ChainBreak(seq=top + 1, id=None, how=MISSING)
            return ChainReport(ok=False, count=report.count, first_break=first_break, message=message)
    return report


def _checked_against(rows: Iterator[dict], heads: dict) -> Iterator[dict]:
    """Rows as they are, except one whose hash differs from the head recorded for it: it then
    carries that recorded hash, so the verifier sees an event that no longer matches its hash."""
    for row in rows:
        head = heads.get(row["seq"])
        if head is not None and head.hash != row["hash"]:
            row = {**row, "hash": head.hash, "_head_day": head.day.isoformat()}
        yield row


def chain_heads(*, day_from: date, day_to: date) -> list[dict]:
    """The last event of each (UTC) day from `day_from` to `day_to` that has events:
    [{"day": "2026-12-02", "seq": 1234, "hash": "..."}]."""
    from .models import AuditEvent

    start = datetime.combine(day_from, time(0), tzinfo=UTC)
    end = datetime.combine(day_to + timedelta(days=1), time(0), tzinfo=UTC)
    last_of_day = (
        AuditEvent.objects.filter(at__gte=start, at__lt=end)
        .order_by()
        .annotate(day=TruncDate("at", tzinfo=UTC))
        .values("day")
        .annotate(last=Max("seq"))
    )
    days = {row["last"]: row["day"] for row in last_of_day}
    hashes = dict(AuditEvent.objects.filter(seq__in=list(days)).values_list("seq", "hash"))
    return [{"day": days[seq].isoformat(), "seq": seq, "hash": hashes[seq]} for seq in sorted(days)]
