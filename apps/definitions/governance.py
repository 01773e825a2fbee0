"""Change control of workflows: who owns them, whether publishing needs a second owner, when
they are next reviewed, and the improvement backlog people feed from their task pages.

The change request itself is decided as a case of the built-in `workflow-change` workflow; the
engine sits above this module, so the builder opens that case and reacts to its close
(apps/builder/change_control.py) and calls the writes here. Each write checks the builder
policy, changes the rows and writes its audit event in one transaction.
"""

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from apps.audit.models import Action
from apps.audit.services import audit_record
from apps.core.errors import Conflict, NotAllowed, ValidationFailed

from .models import (
    REVIEW_INTERVAL_DAYS,
    ChangeRequest,
    ChangeStatus,
    DefinitionVersion,
    Feedback,
    FeedbackStatus,
    VersionStatus,
    WorkflowDefinition,
)
from .policy import EDIT_PERMISSION, ensure_can_edit_definition, user_is_builder
from .selectors import definition_owners
from .services import spec_problems, version_publish, with_texts_hash

MSG_NO_SECOND_OWNER = "Publishing {key} needs a second owner's approval, but nobody else owns it: add an owner first."
MSG_CHANGE_OPEN = "Change request #{id} for {key} is already waiting for approval."
MSG_NOT_DRAFT = "Only a draft can be sent for approval."
MSG_FLAG_OFF = "{key} does not need a second owner's approval: publish it directly."
MSG_OWN_CHANGE = "You requested this change, so you cannot approve it (segregation of duties)."
MSG_CHANGE_CLOSED = "Change request #{id} is already closed ({status})."
MSG_DRAFT_CHANGED = (
    "The draft changed after change request #{id} was made, so what was approved is not what would be "
    "published: nothing was published. Request approval again for the draft as it is now."
)
MSG_DRAFT_GONE = "The draft of change request #{id} is no longer a draft: nothing was published."
MSG_OWNER_UNKNOWN = "There is no active user '{username}'."
MSG_OWNER_NOT_BUILDER = "{username} is not a workflow owner: give them the workflow-owners role first."
MSG_OWNER_ALREADY = "{username} already owns {key}."
MSG_OWNER_NOT_ONE = "{username} does not own {key}."
MSG_OWNER_NAMED = "{username} is the named owner of {key}: name another owner first."
MSG_OWNER_BY_GROUP = "{username} owns {key} through one of their groups: change the group's permissions instead."
MSG_REVIEW_PAST = "Next review: choose a date after today."
MSG_FEEDBACK_EMPTY = "Say what is wrong with this step."
MSG_FEEDBACK_TOO_LONG = "Keep it under {limit} characters: a sentence or two is enough."
MSG_FEEDBACK_DONE_ALREADY = "This feedback is already marked done."
FEEDBACK_MAX = 1000


def _audit(action, actor, definition, *, reason: str = "", case_id=None, **context):
    # The case (a change request's, or the one feedback is about) is named in the context: the
    # row is about the definition, like every other definition event.
    extra = {"case_id": case_id} if case_id else {}
    audit_record(
        action=action,
        actor=actor,
        step=definition.key,
        reason=reason,
        context={"definition": definition.key, **extra, **context},
    )


def _locked_definition(definition) -> WorkflowDefinition:
    return WorkflowDefinition.objects.select_for_update().get(pk=definition.pk)


# Ownership and settings.


def _builder_named(username: str):
    """The active workflow owner `username` names, and the refusal when it names nobody who may be one."""
    person = get_user_model().objects.filter(username=username, is_active=True).first()
    if person is None:
        return None, MSG_OWNER_UNKNOWN.format(username=username)
    if not user_is_builder(user=person):
        return None, MSG_OWNER_NOT_BUILDER.format(username=username)
    return person, ""


def _settings_of(definition) -> dict:
    return {
        "needs_second_approval": definition.needs_second_approval,
        "next_review": definition.next_review.isoformat(),
        "owner": definition.owner.get_username() if definition.owner_id else "",
    }


@transaction.atomic
def definition_governance_update(
    *, definition: WorkflowDefinition, actor, needs_second_approval: bool, next_review: date | None, owner: str = ""
) -> WorkflowDefinition:
    """Change control settings: the named owner, the second-approval flag, the next review date."""
    ensure_can_edit_definition(user=actor, definition=definition)
    definition = _locked_definition(definition)
    errors = {}
    named = None
    if owner:
        named, problem = _builder_named(owner)
        if problem:
            errors["owner"] = [problem]
    if next_review is not None and next_review <= timezone.localdate():
        errors["next_review"] = [MSG_REVIEW_PAST]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], field_errors=errors)
    before = _settings_of(definition)
    definition.needs_second_approval = needs_second_approval
    if next_review is not None:
        definition.next_review = next_review
    if named is not None:
        definition.owner = named
        assign_perm(EDIT_PERMISSION, named, definition)
    after = _settings_of(definition)
    changed = {k: {"old": before[k], "new": after[k]} for k in before if before[k] != after[k]}
    if changed:
        definition._history_user = actor
        definition._change_reason = "Change control settings"
        definition.save()
        _audit(Action.GOVERNANCE_CHANGED, actor, definition, changed=changed)
    return definition


@transaction.atomic
def definition_owner_add(*, definition: WorkflowDefinition, actor, username: str) -> list:
    """Make another workflow owner an owner of this workflow (they may edit and approve its changes)."""
    ensure_can_edit_definition(user=actor, definition=definition)
    username = (username or "").strip()
    person, problem = _builder_named(username)
    if problem:
        raise ValidationFailed(problem, field_errors={"username": [problem]})
    if any(o.pk == person.pk for o in definition_owners(key=definition.key)):
        message = MSG_OWNER_ALREADY.format(username=username, key=definition.key)
        raise ValidationFailed(message, field_errors={"username": [message]})
    assign_perm(EDIT_PERMISSION, person, definition)
    _audit(Action.GOVERNANCE_CHANGED, actor, definition, changed={"owners": {"added": username}})
    return definition_owners(key=definition.key)


@transaction.atomic
def definition_owner_remove(*, definition: WorkflowDefinition, actor, username: str) -> list:
    """Take the workflow away from one of its owners: they no longer edit it nor approve its
    changes. Never the named owner (name another first), so it keeps someone who answers for it."""
    ensure_can_edit_definition(user=actor, definition=definition)
    definition = _locked_definition(definition)
    username = (username or "").strip()
    person = next((o for o in definition_owners(key=definition.key) if o.get_username() == username), None)
    if person is None:
        message = MSG_OWNER_NOT_ONE.format(username=username, key=definition.key)
    elif person.pk == definition.owner_id:
        message = MSG_OWNER_NAMED.format(username=username, key=definition.key)
    else:
        remove_perm(EDIT_PERMISSION, person, definition)
        still = any(o.pk == person.pk for o in definition_owners(key=definition.key))
        message = MSG_OWNER_BY_GROUP.format(username=username, key=definition.key) if still else ""
    if message:  # NOTE: raising rolls the removal back too
        raise ValidationFailed(message, field_errors={"username": [message]})
    _audit(Action.GOVERNANCE_CHANGED, actor, definition, changed={"owners": {"removed": username}})
    return definition_owners(key=definition.key)


# Review cadence.


@transaction.atomic
def review_record(*, definition: WorkflowDefinition, actor, note: str = "") -> WorkflowDefinition:
    """ "Reviewed, no change": audited, and the next review moves a quarter on from today."""
    ensure_can_edit_definition(user=actor, definition=definition)
    definition = _locked_definition(definition)
    was = definition.next_review
    definition.next_review = timezone.localdate() + timedelta(days=REVIEW_INTERVAL_DAYS)
    definition._history_user = actor
    definition._change_reason = "Reviewed, no change"
    definition.save()
    _audit(
        Action.REVIEW_DONE,
        actor,
        definition,
        reason=note.strip(),
        was_due=was.isoformat(),
        next_review=definition.next_review.isoformat(),
    )
    return definition


# Change requests.


@transaction.atomic
def change_request_create(*, draft: DefinitionVersion, actor, note: str = "") -> ChangeRequest:
    """The row of a request to publish `draft`; the builder then opens its case and attaches it."""
    definition = _locked_definition(draft.definition)
    ensure_can_edit_definition(user=actor, definition=definition)
    draft = DefinitionVersion.objects.select_for_update().select_related("definition").get(pk=draft.pk)
    if draft.status != VersionStatus.DRAFT:
        raise Conflict(MSG_NOT_DRAFT)
    if not definition.needs_second_approval:
        raise Conflict(MSG_FLAG_OFF.format(key=definition.key))
    problems = spec_problems(draft.spec)
    if problems:
        raise ValidationFailed(
            f"The draft has {len(problems)} problem(s); fix them first.", field_errors={"spec": problems}
        )
    if not [o for o in definition_owners(key=definition.key) if o.pk != actor.pk]:
        raise Conflict(MSG_NO_SECOND_OWNER.format(key=definition.key))
    waiting = ChangeRequest.objects.filter(definition=definition, status=ChangeStatus.OPEN).first()
    if waiting is not None:
        raise Conflict(MSG_CHANGE_OPEN.format(id=waiting.pk, key=definition.key))
    change = ChangeRequest(
        definition=definition, draft=draft, spec_hash=with_texts_hash(draft), note=note.strip(), requested_by=actor
    )
    change.full_clean(exclude=["case_id"])
    change.save()
    return change


def change_request_case_set(*, change: ChangeRequest, case_id: int, actor) -> ChangeRequest:
    """Attach the case that decides the request (same transaction as its start) and audit the request."""
    change.case_id = case_id
    change.save(update_fields=["case_id"])
    _audit(
        Action.CHANGE_REQUESTED,
        actor,
        change.definition,
        reason=change.note,
        case_id=case_id,
        change_request=change.pk,
        spec_hash=change.spec_hash,
    )
    return change


def _close(change: ChangeRequest, *, status: str, action: str, actor, reason: str = "", **context) -> ChangeRequest:
    """Close the request and audit how, naming its case."""
    change.status, change.decided_by, change.reason, change.closed = status, actor, reason, timezone.now()
    change.save(update_fields=["status", "decided_by", "reason", "closed", "published_number"])
    _audit(action, actor, change.definition, reason=reason, case_id=change.case_id, change_request=change.pk, **context)
    return change


def _open_change(change: ChangeRequest) -> ChangeRequest:
    change = ChangeRequest.objects.select_for_update().select_related("definition", "draft").get(pk=change.pk)
    if not change.is_open:
        raise Conflict(MSG_CHANGE_CLOSED.format(id=change.pk, status=change.get_status_display().lower()))
    return change


@transaction.atomic
def change_request_approve(*, change: ChangeRequest, actor) -> ChangeRequest:
    """Publish the reviewed draft through the one publish service, if it is still exactly what was
    reviewed; otherwise the request is refused and nothing is published (status REFUSED)."""
    change = _open_change(change)
    if actor is None or actor.pk == change.requested_by_id:
        raise NotAllowed(MSG_OWN_CHANGE)
    draft = DefinitionVersion.objects.select_for_update().get(pk=change.draft_id)
    if draft.status != VersionStatus.DRAFT:
        reason = MSG_DRAFT_GONE.format(id=change.pk)
    elif with_texts_hash(draft) != change.spec_hash:
        reason = MSG_DRAFT_CHANGED.format(id=change.pk)
    else:
        reason = ""
    if reason:
        return _close(change, status=ChangeStatus.REFUSED, action=Action.CHANGE_REFUSED, actor=actor, reason=reason)
    version = version_publish(version=draft, actor=actor, change_note=change.note, change_request=change)
    change.published_number = version.number
    return _close(
        change,
        status=ChangeStatus.APPROVED,
        action=Action.CHANGE_APPROVED,
        actor=actor,
        version=version.number,
        hash=version.content_hash,
    )


@transaction.atomic
def change_request_reject(*, change: ChangeRequest, actor, reason: str) -> ChangeRequest:
    """The draft stays as it was; the reason shows in the builder."""
    change = _open_change(change)
    return _close(change, status=ChangeStatus.REJECTED, action=Action.CHANGE_REJECTED, actor=actor, reason=reason)


@transaction.atomic
def change_request_withdraw(*, change: ChangeRequest, actor, reason: str = "") -> ChangeRequest:
    change = _open_change(change)
    return _close(change, status=ChangeStatus.WITHDRAWN, action=Action.CHANGE_WITHDRAWN, actor=actor, reason=reason)


# The improvement backlog.


@transaction.atomic
def feedback_give(
    *, definition: WorkflowDefinition, version_number: int, step: str, actor, text: str, case_id: int | None = None
) -> Feedback:
    """ "This step is wrong": the caller has checked the actor may see the task it is about."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise NotAllowed("Sign in to give feedback.")
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(MSG_FEEDBACK_EMPTY, field_errors={"text": [MSG_FEEDBACK_EMPTY]})
    if len(text) > FEEDBACK_MAX:
        message = MSG_FEEDBACK_TOO_LONG.format(limit=FEEDBACK_MAX)
        raise ValidationFailed(message, field_errors={"text": [message]})
    item = Feedback(
        definition=definition,
        version_number=version_number,
        step=(step or "")[:200] or "(no step)",
        case_id=case_id,
        author=actor,
        text=text,
    )
    item.full_clean()
    item.save()
    _audit(Action.FEEDBACK_GIVEN, actor, definition, reason=text, case_id=case_id, feedback=item.pk, on=item.step)
    return item


@transaction.atomic
def feedback_done(*, feedback: Feedback, actor) -> Feedback:
    ensure_can_edit_definition(user=actor, definition=feedback.definition)
    feedback = Feedback.objects.select_for_update().select_related("definition").get(pk=feedback.pk)
    if feedback.status == FeedbackStatus.DONE:
        raise Conflict(MSG_FEEDBACK_DONE_ALREADY)
    feedback.status, feedback.done_by, feedback.done_at = FeedbackStatus.DONE, actor, timezone.now()
    feedback.save(update_fields=["status", "done_by", "done_at"])
    _audit(Action.FEEDBACK_DONE, actor, feedback.definition, case_id=feedback.case_id, feedback=feedback.pk)
    return feedback
