"""A case's field-level history in business words, for auditors.

Each saved version of the case row (django-simple-history) becomes one change: who, when, why,
and what changed, with field labels from the case's pinned version, values written as people
read them (5,000 not 5000.00; "Returned to requester" not "rework") and the reason the services
kept with the row. Rows written before reasons were kept take theirs from the audit trail.
"""

from apps.audit.models import Action
from apps.cases.change_reasons import event_words
from apps.cases.models import CaseState, Outcome
from apps.core.numbers import number
from apps.definitions.accessors import spec_of

# The process status viewflow keeps beside our state: open, or finished one way or another.
CASE_STATUS = {"NEW": "Open", "DONE": "Closed", "CANCELED": "Closed early"}
ATTRIBUTES = (
    ("state", "State", dict(CaseState.choices)),
    ("outcome", "Outcome", dict(Outcome.choices)),
    ("status", "Status", CASE_STATUS),
)
NUMBERS = {"decimal", "integer"}
# The audit rows that tell why a case row changed, the most telling first.
TELLING = [
    Action.CASE_STARTED,
    Action.CASE_RESUBMITTED,
    Action.TASK_DECIDED,
    Action.CASE_WITHDRAWN,
    Action.CASE_CANCELLED,
    Action.CASE_AUTO_CLOSED,
    Action.CASE_FAILED,
    Action.CASE_DATA_EDITED,
    Action.STEP_SUCCEEDED,
    Action.STEP_SKIPPED,
    Action.STEP_RETRIED,
    Action.STEP_FAILED,
    Action.CASE_CLOSED,
    Action.CASE_RETURNED,
    Action.CASE_ROUTED,
]


def field_history(case, records, events) -> list[dict]:
    """One change per history record of `case` (oldest first): {record, why, rows}; each row is
    {field, old, new} in words. `events`: the case's audit events, oldest first."""
    records, fields = list(records), spec_of(case.version).fields
    kinds = {f.name: f.type for f in fields}
    labels = {f.name: f.label for f in fields}
    order = {f.name: index for index, f in enumerate(fields)}
    trail = _why_from_trail(records, [e for e in events if e.action in TELLING])
    changes, previous = [], None
    for record in records:
        before, after = (previous.data if previous is not None else None) or {}, record.data or {}
        names = sorted(set(before) | set(after), key=lambda name: (order.get(name, len(order)), name))
        rows = [
            {
                "field": labels.get(name) or name.replace("_", " ").capitalize(),
                "old": _value(kinds.get(name), before.get(name)),
                "new": _value(kinds.get(name), after.get(name)),
            }
            for name in names
            if before.get(name) != after.get(name)
        ]
        for attribute, label, words in ATTRIBUTES:
            old = getattr(previous, attribute, "") if previous is not None else ""
            new = getattr(record, attribute)
            if (old or "") != (new or ""):
                rows.append({"field": label, "old": words.get(old, old or ""), "new": words.get(new, new or "")})
        why = record.history_change_reason or trail.get(record.history_id, "")
        changes.append({"record": record, "why": why, "rows": rows})
        previous = record
    return changes


def _value(kind: str | None, value) -> str:
    if value is None or value == "":
        return ""
    if kind in NUMBERS:
        return number(value)
    if kind == "boolean" or isinstance(value, bool):
        return "Yes" if value in (True, "true", "True", "1", 1) else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _why_from_trail(records: list, events: list) -> dict[int, str]:
    """For history rows without a kept reason: the most telling audit event of the same person
    between the neighbouring history rows (one service call writes both, a moment apart).
    {history_id: words}"""
    found = {}
    for index, record in enumerate(records):
        if record.history_change_reason:
            continue
        start = records[index - 1].history_date if index else None
        end = records[index + 1].history_date if index + 1 < len(records) else None
        candidates = [
            e
            for e in events
            if e.actor_id == record.history_user_id and (start is None or e.at > start) and (end is None or e.at < end)
        ]
        if candidates:
            best = min(candidates, key=lambda e: (TELLING.index(e.action), abs(e.at - record.history_date)))
            found[record.history_id] = event_words(best)
    return found
