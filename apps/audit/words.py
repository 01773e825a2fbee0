"""What an audit event's context says, in business words: the one reading of `AuditEvent.context`
that the case timeline, the auditors' event search, its CSV and the API's case history all share.

Services keep machine facts in `context` (a reason code, an SLA level as numbers, field names, a
data correction as {name: {from, to}}). `context_words` turns them into labelled lines: "On behalf
of: bob", "Reason code: Over budget", "SLA level: 2 of the approval SLA: escalate after 48
business hours", "Waited for: Cost center", "Changed: Cost center CC-100 → CC-200".

Labels of fields and reason codes come from the case's pinned version: callers pass its spec
(anything with `field(name)` and `reason_label(code)`, e.g. apps.definitions.accessors.Spec; this
foundation app does not import the definitions). Without one, names and codes show as stored.
"""

from dataclasses import dataclass, field

from apps.core.moments import moment_text
from apps.core.numbers import number

ON_BEHALF_OF = "on_behalf_of"
REASON_CODE = "reason_code"
SLA_LEVEL = "sla_level"
DUE = "due"
WAITED_FOR = "waited_for"
WAITING_SINCE = "waiting_since"
ASKED = "asked"
CHANGES = "changes"
CORRECTED = "corrected"
MOVED = "moved"
SYSTEM = "system"
ATTEMPTS = "attempts"
ENTERED = "entered"  # fields an approver filled in at their step (a GL code, the access granted)
UNCERTAIN = "uncertain"
ROLE = "role"
PERSON = "person"
EXPORT = "export"
CONTEXT_KEYS = (
    ON_BEHALF_OF,
    REASON_CODE,
    SLA_LEVEL,
    DUE,
    WAITED_FOR,
    WAITING_SINCE,
    ASKED,
    CHANGES,
    CORRECTED,
    MOVED,
    SYSTEM,
    ATTEMPTS,
    UNCERTAIN,
    ROLE,
    PERSON,
    EXPORT,
)

# ClockKind (apps.sla) and the level actions a definition may name, as people say them.
SLA_POLICIES = {"approval": "approval", "rework": "requester's rework", "case": "whole-case"}
SLA_ACTIONS = {
    "remind": "remind",
    "notify": "notify",
    "escalate": "escalate to the manager",
    "reroute": "reroute to a backup",
    "breach": "mark as breached",
    "auto_close": "auto-close",
}
UNCERTAIN_CHOICES = {"undo": "undo sent", "none": "confirmed not done"}


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class Word:
    """One labelled line; `changes` holds the before/after of a data correction."""

    key: str
    label: str
    text: str
    changes: tuple[Change, ...] = field(default_factory=tuple)


def _field_label(spec, name: str) -> str:
    found = spec.field(name) if spec is not None else None
    return found.label if found is not None and found.label else str(name).replace("_", " ").capitalize()


def _shown(spec, name: str, value) -> str:
    if value is None or value == "":
        return "(empty)"
    found = spec.field(name) if spec is not None else None
    if found is not None:
        return found.shown(value) or "(empty)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _sla_level(context: dict) -> str:
    """'2 of the approval SLA: escalate to the manager after 48 business hours'."""
    policy = SLA_POLICIES.get(context.get("policy") or "", context.get("policy") or "")
    action = context.get("action") or ""
    text = f"{context['level']} of the {policy} SLA" if policy else f"{context['level']}"
    if action:
        text += f": {SLA_ACTIONS.get(action, str(action).replace('_', ' '))}"
    if context.get("after_hours") is not None:
        kind = "business hours" if context.get("business_hours") else "hours"
        text += f" after {number(context['after_hours'])} {kind}"
    return text


def _changes(spec, changes: dict) -> tuple[Change, ...]:
    return tuple(
        Change(
            field=_field_label(spec, name),
            before=_shown(spec, name, c.get("from")),
            after=_shown(spec, name, c.get("to")),
        )
        for name, c in changes.items()
        if isinstance(c, dict)
    )


def context_words(event, *, spec=None) -> list[Word]:
    """The event's context as labelled lines, in a fixed order; [] when it holds nothing a person
    needs (routing traces have their own reading: apps.inbox.timeline)."""
    context = event.context if isinstance(getattr(event, "context", None), dict) else {}
    words: list[Word] = []
    if context.get("on_behalf_of"):
        words.append(Word(ON_BEHALF_OF, "On behalf of", str(context["on_behalf_of"])))
    code = context.get("reason_code")
    if code:
        label = spec.reason_label(code) if spec is not None else None
        words.append(Word(REASON_CODE, "Reason code", f"{label} ({code})" if label and label != code else str(code)))
    if context.get("level") is not None and ("policy" in context or "action" in context):
        words.append(Word(SLA_LEVEL, "SLA level", _sla_level(context)))
        if context.get("due"):
            words.append(Word(DUE, "Was due", moment_text(context["due"])))
    if isinstance(context.get("waited_for"), list):
        waited = [_field_label(spec, name) for name in context["waited_for"]]
        words.append(Word(WAITED_FOR, "Waited for", ", ".join(waited) or "the requester's answer"))
        if context.get("waiting_since"):
            words.append(Word(WAITING_SINCE, "Waiting since", moment_text(context["waiting_since"])))
        if context.get("message"):
            words.append(Word(ASKED, "The requester was asked", str(context["message"])))
    if isinstance(context.get("entered"), dict) and context["entered"]:
        text = "; ".join(f"{_field_label(spec, n)}: {_shown(spec, n, v)}" for n, v in context["entered"].items())
        words.append(Word(ENTERED, "Entered at this step", text))
    if isinstance(context.get("changes"), dict) and context["changes"]:
        changes = _changes(spec, context["changes"])
        text = "; ".join(f"{c.field}: {c.before} → {c.after}" for c in changes)
        words.append(Word(CHANGES, "Changed", text, changes))
    if isinstance(context.get("changed"), list) and context["changed"]:
        words.append(
            Word(CORRECTED, "Corrected before the retry", ", ".join(_field_label(spec, n) for n in context["changed"]))
        )
    if context.get("from") and context.get("to"):
        words.append(Word(MOVED, "Moved", f"from {context['from']} to {context['to']}"))
    if context.get("system") and event.action.startswith("step."):
        words.append(Word(SYSTEM, "System", str(context["system"])))
        if context.get("attempts"):
            words.append(Word(ATTEMPTS, "Attempts", str(context["attempts"])))
    uncertain = context.get("uncertain")
    if isinstance(uncertain, dict) and uncertain.get("steps"):
        choice = UNCERTAIN_CHOICES.get(uncertain.get("choice"), uncertain.get("choice") or "")
        words.append(Word(UNCERTAIN, "Calls that may have taken effect", f"{', '.join(uncertain['steps'])}: {choice}"))
    if event.action.startswith("role.") and context.get("role"):
        words.append(Word(ROLE, "Role", str(context["role"])))
        words.append(Word(PERSON, "Person", str(context.get("user") or "")))
    if event.action.endswith(".exported"):
        filters = context.get("filters") or {}
        shown = ", ".join(f"{k}={v}" for k, v in filters.items()) or "none"
        words.append(
            Word(EXPORT, "Export", f"{context.get('rows', 0)} rows as {context.get('format', '')}; filters: {shown}")
        )
    return words


def words_text(words: list[Word]) -> str:
    """All the lines in one string ("On behalf of: bob; Reason code: Over budget"), for a CSV cell."""
    return "; ".join(f"{w.label}: {w.text}" for w in words)
