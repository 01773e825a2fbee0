"""Two-owner publishing: a change request is a case of the built-in `workflow-change` workflow.

Publishing a workflow that needs a second owner's approval opens a `ChangeRequest` (definitions)
and starts a case of `workflow-change` with the diff and the impact preview in its data. Its one
stage goes to the workflow's owners except the author (approver type "owners"; the author is
the case's requester, so the segregation-of-duties rule keeps them off it as on any case), so the
engine's approvals, audit trail, SLA clocks and notifications all apply. When the case closes,
`case_closed_receiver` (connected in BuilderConfig.ready) publishes the draft through the same
publish service the builder calls, or records the rejection; the engine never imports us.

It lives in the builder because it runs the engine, which `definitions` (below it) may not import.
"""

from django.db import IntegrityError, transaction

from apps.cases import events
from apps.cases.acting import current_actor
from apps.cases.models import Outcome
from apps.cases.services import case_start
from apps.core.errors import NotFound, ValidationFailed
from apps.definitions import governance, selectors
from apps.definitions.diff import spec_diff
from apps.definitions.models import ChangeRequest
from apps.definitions.services import definition_create, version_publish

from .replay import impact_preview

CHANGE_WORKFLOW = "workflow-change"
TEXT_MAX = 1900  # inside a text field's 2,000 characters, with room for the "see the diff page" tail
IMPACT_REPLAY = 50

CHANGE_SPEC = {
    "description": (
        "A change to a workflow whose publishing needs a second owner's approval. Another owner of that "
        "workflow (never the author) approves it, and the reviewed draft is published; or rejects it with "
        "a reason, and the draft stays as it was."
    ),
    "form_intro": "Opened from the workflow builder's Publish button; not started by hand.",
    "fields": [
        {"name": "workflow", "type": "text", "label": "Workflow", "required": True},
        {"name": "change_request", "type": "integer", "label": "Change request", "required": True},
        {"name": "draft_hash", "type": "text", "label": "Draft reviewed (content hash)", "required": True},
        {"name": "note", "type": "textarea", "label": "What changes and why"},
        {"name": "diff", "type": "textarea", "label": "Differences from the live version"},
        {"name": "impact", "type": "textarea", "label": "Impact preview"},
    ],
    "stages": [
        {
            "key": "owner_review",
            "name": "Owner review",
            "policy": "any",
            "approvers": [{"key": "other_owner", "label": "Another owner", "type": "owners", "field": "workflow"}],
        }
    ],
    "sla": {"approval": {"target_hours": 16, "business": True, "levels": [{"after_hours": 8, "action": "remind"}]}},
    "reason_codes": [
        {"code": "needs_work", "label": "Needs more work"},
        {"code": "not_wanted", "label": "Change not wanted"},
    ],
}


def change_workflow_ensure():
    """The built-in workflow, published on first use (by the system; administrators own it).

    Two first-ever change requests at once both find it missing: the one whose insert loses on
    the unique key (IntegrityError; or ValidationFailed, when the other had already committed)
    takes the winner's version instead of failing."""
    try:
        return selectors.version_live(key=CHANGE_WORKFLOW)
    except NotFound:
        pass
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction survives losing the race
            draft = definition_create(
                key=CHANGE_WORKFLOW,
                name="Workflow change",
                description=CHANGE_SPEC["description"],
                spec=CHANGE_SPEC,
                actor=None,
            )
            return version_publish(version=draft, actor=None, change_note="Built in")
    except (IntegrityError, ValidationFailed) as lost:
        try:
            return selectors.version_live(key=CHANGE_WORKFLOW)
        except NotFound:
            raise lost from None  # not a lost race: a real refusal


def _clip(lines: list[str], tail: str) -> str:
    # Bulleted: the case page shows a text field on one line, the bullets keep the changes apart.
    text = "\n".join(f"• {line}" for line in lines)
    return text if len(text) <= TEXT_MAX else text[: TEXT_MAX - len(tail)].rstrip() + tail


def diff_text(*, live, draft) -> str:
    """The diff page's changes in lines: "Stages / finance: policy all → any"."""
    if live is None:
        return "First version: nothing is live yet."
    sections = spec_diff(live.spec, draft.spec, texts=(live.texts, draft.texts))
    lines = []
    for section in sections:
        for change in section["changes"]:
            rows = "; ".join(f"{r['attr']} {r['old']} → {r['new']}" for r in change["rows"])
            lines.append(f"{section['title']} / {change['name']} {change['change']}" + (f": {rows}" if rows else ""))
    return _clip(lines or ["No differences from the live version."], "… (the diff page shows the rest)")


def impact_text(*, live, draft) -> str:
    """The impact preview in lines: how many recent cases would route differently, and why."""
    if live is None:
        return "First version: no cases to replay."
    report = impact_preview(live=live, draft=draft, limit=IMPACT_REPLAY)
    lines = [f"{len(report['changed'])} of the last {report['replayed']} cases would route differently."]
    for item in report["changed"]:
        state = "open" if item["open"] else "closed"
        lines.append(f"#{item['case'].pk} ({state}): " + "; ".join(item["why"]))
    return _clip(lines, "… (the impact page shows the rest)")


@transaction.atomic
def change_request_open(*, definition, actor, note: str = "") -> ChangeRequest:
    """Publish pressed on a workflow that needs a second owner: the request and its case."""
    draft = selectors.version_draft(definition=definition)
    if draft is None:
        raise NotFound("This workflow has no draft to publish.")
    change = governance.change_request_create(draft=draft, actor=actor, note=note)
    change_workflow_ensure()
    live = selectors.version_live_of(definition=definition)
    case, _created = case_start(
        workflow=CHANGE_WORKFLOW,
        data={
            "workflow": definition.key,
            "change_request": change.pk,
            "draft_hash": change.spec_hash[:12],  # as the builder's versions table shows hashes
            "note": change.note,
            "diff": diff_text(live=live, draft=draft),
            "impact": impact_text(live=live, draft=draft),
        },
        actor=actor,
    )
    return governance.change_request_case_set(change=change, case_id=case.pk, actor=actor)


@events.real_cases_only
def case_closed_receiver(sender, *, case, actor, action, reason, **details):
    """A change request's case closed: approved publishes the reviewed draft (or refuses, when the
    draft changed since), rejected keeps the draft and records why, anything else withdraws it."""
    if case.workflow_key != CHANGE_WORKFLOW:
        return None
    change = ChangeRequest.objects.filter(case_id=case.pk).select_related("definition").first()
    if change is None or not change.is_open:
        return None
    decider = actor or current_actor()
    if case.outcome == Outcome.APPROVED:
        change = governance.change_request_approve(change=change, actor=decider)
    elif case.outcome == Outcome.REJECTED:
        change = governance.change_request_reject(change=change, actor=decider, reason=reason or case.closed_reason)
    else:
        change = governance.change_request_withdraw(change=change, actor=decider, reason=reason)
    context = {"change_request": change.pk, "change_status": change.status}
    if change.published_number:
        context["published_version"] = change.published_number
    return context
