"""The case timeline as people read it: one entry for each thing that happened.

A routing writes several audit rows in one transaction: the approvals a settled stage no longer
needs (cancelled), the routing itself, each task it creates, the return or the close it leads to.
Listed one by one they repeat the same "why" three times. Here each routing becomes one entry
that says where the case went and why, with its rows kept behind it, unchanged, for auditors.
Everything people do (decisions, resubmissions, comments, claims, withdrawals), SLA events and
automated steps stay entries of their own.
"""

from dataclasses import dataclass, field
from datetime import datetime

from apps.audit.models import Action
from apps.audit.words import ON_BEHALF_OF, REASON_CODE, Word, context_words
from apps.core.actors import SYSTEM
from apps.definitions.conditions import AS_STORED, Words

from .presenters import route_lines

# What a routing writes right after its own row, in its transaction ...
AFTER_ROUTING = {Action.TASK_CREATED, Action.CASE_RETURNED, Action.CASE_CLOSED}
# ... and right before it: the approvals the stage it settles no longer needs.
BEFORE_ROUTING = {Action.TASK_CANCELLED}
CLOSED = {"approved", "rejected"}


@dataclass
class Entry:
    """One row of the timeline: an audit event as it was, or a routing with its rows in `details`."""

    at: datetime
    actor_name: str
    what: str
    step: str = ""
    decision: str = ""
    reason: str = ""
    reason_label: str = ""
    comment: str = ""
    on_behalf_of: str = ""
    note: str = ""
    context: list[Word] = field(default_factory=list)  # the rest of the event's context, in words
    no_longer_needed: list[str] = field(default_factory=list)
    details: list["Entry"] = field(default_factory=list)


def timeline_entries(
    events, *, reason_labels: dict[str, str] | None = None, words: Words = AS_STORED, spec=None
) -> list[Entry]:
    """The entries of a case's audit events (oldest first); `reason_labels` maps a reason code
    to the label its definition gives it; `words` (the version's `spec.words`) writes the rules;
    `spec` (the pinned version's) names the fields and codes of each event's context
    (apps.audit.words)."""
    labels = reason_labels or {}
    entries = []
    for group in _groups(list(events)):
        anchor = next((e for e in group if e.action == Action.CASE_ROUTED), None)
        if anchor is None:
            entries.extend(_entry(e, labels, spec) for e in group)
        else:
            entries.append(_routing(anchor, group, labels, words, spec))
    return entries


def _by_system(event) -> bool:
    return event.actor_id is None and event.actor_name == SYSTEM


def _groups(events) -> list[list]:
    """Consecutive events of one routing together; every other event alone.

    NOTE: a case's events are written under its flow lock, so the rows of one routing are
    adjacent in (at, id) order; nothing else of the same case can come between them."""
    groups: list[list] = []
    for event in events:
        last = groups[-1] if groups else None
        if last is not None and _belongs(last, event):
            last.append(event)
        else:
            groups.append([event])
    return groups


def _belongs(group: list, event) -> bool:
    if not (_by_system(event) and all(_by_system(e) for e in group)):
        return False
    routed = any(e.action == Action.CASE_ROUTED for e in group)
    if routed:
        return event.action in AFTER_ROUTING
    # Cancellations waiting for the routing that follows them (if none follows, they stay alone).
    return all(e.action in BEFORE_ROUTING for e in group) and event.action in BEFORE_ROUTING | {Action.CASE_ROUTED}


def _entry(event, labels: dict[str, str], spec=None) -> Entry:
    context = event.context or {}
    code = context.get("reason_code") or ""
    by_system = _by_system(event)
    shown_apart = {REASON_CODE} if by_system else {REASON_CODE, ON_BEHALF_OF}
    return Entry(
        at=event.at,
        actor_name=event.actor_name,
        what=event.get_action_display(),
        step=event.step,
        # A resubmission's decision ("submit") only repeats what the action says.
        decision="" if event.action == Action.CASE_RESUBMITTED else context.get("decision") or "",
        reason=event.reason,
        reason_label=labels.get(code, code),
        comment=event.comment,
        # "frank on behalf of bob" beside a person; a task the system made for a delegate says
        # it among the context words instead.
        on_behalf_of="" if by_system else context.get("on_behalf_of") or "",
        note=context.get("note") or "",
        context=[w for w in context_words(event, spec=spec) if w.key not in shown_apart],
    )


def _holder(event) -> str:
    """Who a created task went to: a person, or a role's queue."""
    context = event.context or {}
    if context.get("assignee"):
        return context["assignee"]
    return f"{context['role']} queue" if context.get("role") else ""


def _words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _approval_why(route: dict, words: Words) -> str:
    """'Manager approval: always; Finance approval: Amount 5,000 >= 1,000. 2 of 2 must approve.'"""
    rule_texts = {line["rule"]: line["text"] for line in route_lines(route, words=words)}
    approvers = route.get("approvers") or []
    reasons = "; ".join(f"{a.get('label')}: {rule_texts.get(a.get('label'), a.get('why', ''))}" for a in approvers)
    need = route.get("need")
    return f"{reasons}. {need} of {len(approvers)} must approve." if need else reasons


def _routing(anchor, group: list, labels: dict[str, str], words: Words, spec=None) -> Entry:
    route = anchor.context or {}
    outcome, code = route.get("outcome", ""), route.get("reason_code") or ""
    entry = Entry(
        at=anchor.at,
        actor_name=anchor.actor_name,
        what=anchor.get_action_display(),
        step=anchor.step,
        reason=anchor.reason,
        reason_label=labels.get(code, code),  # a return or rejection: the decision's reason code
        details=[_entry(e, labels, spec) for e in group] if len(group) > 1 else [],
        no_longer_needed=[e.step for e in group if e.action == Action.TASK_CANCELLED],
    )
    created = [e for e in group if e.action == Action.TASK_CREATED]
    if outcome == "approval":
        targets = [f"{e.step} ({_holder(e)})" if _holder(e) else e.step for e in created]
        if not targets:
            targets = [a.get("label", "") for a in route.get("approvers") or []]
        entry.what = f"Routed to {_words(targets)}" if targets else entry.what
        entry.reason = _approval_why(route, words) or anchor.reason
    elif outcome == "rework":
        entry.what = Action.CASE_RETURNED.label
    elif outcome in CLOSED and any(e.action == Action.CASE_CLOSED for e in group):
        entry.what, entry.decision = Action.CASE_CLOSED.label, outcome
    return entry
