"""Why a case's row changed, kept with its history row (simple-history's change reason).

The field-level history shows it beside each change. The words are made here once: for the
services as they write the case, and for older history rows, from the audit row of that moment.
"""

from apps.audit.models import Action
from apps.core.actors import SYSTEM

MAX_LENGTH = 100  # simple-history's history_change_reason column
DECIDED = {"approve": "Approved", "reject": "Rejected", "return": "Returned", "submit": "Resubmitted"}


def change_words(
    *,
    action: str,
    actor_name: str,
    decision: str = "",
    reason: str = "",
    comment: str = "",
    on_behalf_of: str = "",
    step: str = "",
) -> str:
    """'Returned by bob: too expensive', 'Resubmitted by alice: added cost center',
    'Case withdrawn by alice', 'Automated step succeeded (Validate in ERP): ERP answered 200.'"""
    head = DECIDED.get(decision) if action in {Action.TASK_DECIDED, Action.CASE_RESUBMITTED} else None
    words = head or Action(action).label
    if step and str(action).startswith("step."):
        words += f" ({step})"
    if actor_name and actor_name != SYSTEM:
        words += f" by {actor_name}"
        if on_behalf_of:
            words += f" on behalf of {on_behalf_of}"
    why = (reason or "").strip() or (comment or "").strip()
    return f"{words}: {why}" if why else words


def event_words(event) -> str:
    """The words of an audit event (apps.audit.models.AuditEvent) as a change reason."""
    context = event.context or {}
    return change_words(
        action=event.action,
        actor_name=event.actor_name,
        decision=context.get("decision") or "",
        reason=event.reason,
        comment=event.comment,
        on_behalf_of=context.get("on_behalf_of") or "",
        step=event.step,
    )


def change_note(case, text: str, *, keep: bool = False) -> None:
    """Say why the next save of `case` changes it. `keep`: only if nothing more telling was said
    already in this call (the routing after a decision keeps the decision's words)."""
    if keep and getattr(case, "_change_reason", None):
        return
    text = " ".join((text or "").split())
    case._change_reason = text if len(text) <= MAX_LENGTH else text[: MAX_LENGTH - 1] + "…"
