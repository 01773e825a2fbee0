"""Writes to definitions: create, edit the draft (whole or row by row), publish, start the next draft.

Each function checks the builder policy (policy.py), changes the rows, records history with the
actor (simple-history) and writes its audit event, all in one transaction.
"""

import hashlib
import json

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from guardian.shortcuts import assign_perm

from apps.audit.models import Action
from apps.audit.services import audit_record
from apps.core.errors import Conflict, ValidationFailed

from . import editing
from .models import DefinitionVersion, VersionStatus, WorkflowDefinition
from .policy import EDIT_PERMISSION, ensure_builder, ensure_can_edit_definition
from .spec import validate_spec
from .texts import texts_set

MSG_NOT_A_DRAFT = "Only a draft can be changed; version {number} is published."
MSG_INVALID_SPEC = "The draft has {count} problem(s); fix them before publishing."
MSG_DRAFT_EXISTS = "Definition '{key}' already has a draft; edit that one."
MSG_NOT_PUBLISHED = "A new draft starts from a published version."
MSG_INVALID_DEFINITION = "Check the workflow's key and name."
MSG_NEEDS_APPROVAL = (
    "Publishing {key} needs a second owner's approval: request approval, and another owner approves it."
)


def spec_hash(spec: dict) -> str:
    """A content hash that is the same for the same spec on every installation."""
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def spec_org_problems(spec: dict) -> list[str]:
    """Problems only the database can see: roles and users named by approvers."""
    problems = []
    roles = {a["role"] for s in spec.get("stages", []) for a in s.get("approvers", []) if a.get("type") == "role"}
    users = {a["user"] for s in spec.get("stages", []) for a in s.get("approvers", []) if a.get("type") == "user"}
    known_roles = set(Group.objects.filter(name__in=roles).values_list("name", flat=True))
    known_users = set(
        get_user_model().objects.filter(username__in=users, is_active=True).values_list("username", flat=True)
    )
    problems += [f"Role '{r}' does not exist." for r in sorted(roles - known_roles)]
    problems += [f"User '{u}' does not exist or is inactive." for u in sorted(users - known_users)]
    return problems


def spec_problems(spec: dict) -> list[str]:
    """Everything publishing would refuse, in the words a workflow owner reads."""
    return validate_spec(spec) or spec_org_problems(spec)


def _with_texts(spec: dict, definition) -> dict:
    """The spec carrying its own description: a draft begun before texts were versioned takes
    the definition's, so the version it becomes keeps that text whatever happens to the
    definition later."""
    if isinstance(spec.get("description"), str) or not definition.description:
        return spec
    return {**spec, "description": definition.description}


def with_texts_hash(version: DefinitionVersion) -> str:
    """The content hash `version` would be published with (its texts filled in as publishing does)."""
    return spec_hash(_with_texts(version.spec, version.definition))


def _audit(action, actor, definition, **context):
    audit_record(action=action, actor=actor, step=definition.key, context={"definition": definition.key, **context})


# Words the portal's addresses take before a workflow's key (/builder/new/, /builder/import/,
# /dashboards/cases/): a workflow with one of these keys would have no page of its own.
RESERVED_KEYS = frozenset({"new", "import", "cases"})
MSG_KEY_RESERVED = "'{key}' is a word the portal's addresses use; choose another key."


@transaction.atomic
def definition_create(
    *, key: str, name: str, actor, description: str = "", spec: dict | None = None
) -> DefinitionVersion:
    """A new definition with its first draft; the actor owns it and may edit it."""
    ensure_builder(user=actor)
    if key in RESERVED_KEYS:
        message = MSG_KEY_RESERVED.format(key=key)
        raise ValidationFailed(message, field_errors={"key": [message]})
    definition = WorkflowDefinition(key=key, name=name, description=description, owner=actor)
    try:
        definition.full_clean()
    except DjangoValidationError as invalid:  # a refusal like any other service's, never a 500
        raise ValidationFailed(MSG_INVALID_DEFINITION, field_errors=invalid.message_dict) from None
    definition._history_user = actor
    definition.save()
    if actor is not None:
        assign_perm(EDIT_PERMISSION, actor, definition)
    draft = DefinitionVersion(definition=definition, spec=_with_texts(spec or {}, definition), created_by=actor)
    draft._history_user = actor
    draft.save()
    _audit(Action.DEFINITION_CREATED, actor, definition)
    return draft


def _locked_draft(version: DefinitionVersion, actor) -> DefinitionVersion:
    version = DefinitionVersion.objects.select_for_update().select_related("definition").get(pk=version.pk)
    ensure_can_edit_definition(user=actor, definition=version.definition)
    if version.is_published:
        raise Conflict(MSG_NOT_A_DRAFT.format(number=version.number))
    return version


def _save_draft(version, spec, actor, *, note: str, context: dict) -> DefinitionVersion:
    version.spec = spec
    version._history_user = actor
    version._change_reason = note[:100]
    version.save()
    _audit(Action.DRAFT_CHANGED, actor, version.definition, change=note, **context)
    return version


@transaction.atomic
def draft_update(*, version: DefinitionVersion, spec: dict, actor, change_note: str = "") -> DefinitionVersion:
    """Replace the whole spec of a draft (templates, imports, scripts)."""
    version = _locked_draft(version, actor)
    version.change_note = change_note or version.change_note
    return _save_draft(version, spec, actor, note="Spec replaced", context={})


ROW_NOUNS = {
    "fields": "field",
    "stages": "stage",
    "approvers": "approver",
    "clauses": "rule condition",
    "reason_codes": "reason code",
    "steps": "automated step",
}


@transaction.atomic
def draft_row_save(
    *, version: DefinitionVersion, section: str, values: dict, actor, index: int | None = None, parent=None
) -> DefinitionVersion:
    """Add (index None) or change one row of the draft; bad values come back per form field."""
    version = _locked_draft(version, actor)
    spec = editing.row_save(version.spec, section=section, values=values, index=index, parent=parent)
    verb = "added" if index is None else "changed"
    note = f"{ROW_NOUNS.get(section, section).capitalize()} {verb}" + (f" in {parent}" if parent else "")
    return _save_draft(version, spec, actor, note=note, context={"section": section, "index": index, "parent": parent})


@transaction.atomic
def draft_row_remove(*, version: DefinitionVersion, section: str, index: int, actor, parent=None) -> DefinitionVersion:
    version = _locked_draft(version, actor)
    spec = editing.row_remove(version.spec, section=section, index=index, parent=parent)
    note = f"{ROW_NOUNS.get(section, section).capitalize()} removed" + (f" from {parent}" if parent else "")
    return _save_draft(version, spec, actor, note=note, context={"section": section, "index": index, "parent": parent})


@transaction.atomic
def draft_row_move(
    *, version: DefinitionVersion, section: str, index: int, direction: str, actor, parent=None
) -> DefinitionVersion:
    version = _locked_draft(version, actor)
    spec = editing.row_move(version.spec, section=section, index=index, direction=direction, parent=parent)
    note = f"{ROW_NOUNS.get(section, section).capitalize()} moved {direction}"
    return _save_draft(version, spec, actor, note=note, context={"section": section, "index": index, "parent": parent})


@transaction.atomic
def draft_rule_set(*, version: DefinitionVersion, target: str, effect: str, match: str, actor) -> DefinitionVersion:
    version = _locked_draft(version, actor)
    spec = editing.rule_set(version.spec, target=target, effect=effect, match=match)
    note = f"Rule of {target}: {effect} when {match} hold"
    return _save_draft(version, spec, actor, note=note, context={"target": target, "effect": effect, "match": match})


@transaction.atomic
def draft_settings_update(*, version: DefinitionVersion, on_missing_required: str, actor) -> DefinitionVersion:
    version = _locked_draft(version, actor)
    spec = editing.settings_set(version.spec, on_missing_required=on_missing_required)
    return _save_draft(version, spec, actor, note="Settings changed", context={"section": "settings"})


@transaction.atomic
def draft_texts_update(*, version: DefinitionVersion, description: str, form_intro: str, actor) -> DefinitionVersion:
    """The draft's texts: what the workflow is for and what the start form says first. They are
    published with the rules, so a text can never describe rules of another version."""
    version = _locked_draft(version, actor)
    spec = texts_set(version.spec, values={"description": description, "form_intro": form_intro})
    return _save_draft(version, spec, actor, note="Texts changed", context={"section": "texts"})


@transaction.atomic
def version_publish(
    *, version: DefinitionVersion, actor, change_note: str = "", change_request=None
) -> DefinitionVersion:
    """Validate the whole draft and freeze it as the next numbered version.

    A workflow that needs a second owner's approval is published only through its approved
    change request (governance.change_request_approve passes it), never directly."""
    version = _locked_draft(version, actor)
    if version.definition.needs_second_approval and (
        change_request is None or change_request.draft_id != version.pk or not change_request.is_open
    ):
        raise Conflict(MSG_NEEDS_APPROVAL.format(key=version.definition.key))
    problems = spec_problems(version.spec)
    if problems:
        raise ValidationFailed(MSG_INVALID_SPEC.format(count=len(problems)), field_errors={"spec": problems})
    # Lock the definition so two publishers cannot take the same number.
    WorkflowDefinition.objects.select_for_update().filter(pk=version.definition_id).exists()
    latest = DefinitionVersion.objects.filter(definition_id=version.definition_id).aggregate(n=Max("number"))["n"]
    version.number = (latest or 0) + 1
    version.spec = _with_texts(version.spec, version.definition)
    version.status = VersionStatus.PUBLISHED
    version.content_hash = spec_hash(version.spec)
    version.published_at = timezone.now()
    version.published_by = actor
    version.change_note = change_note.strip() or version.change_note
    version._history_user = actor
    version._change_reason = f"Published as version {version.number}"
    version.save()
    extra = {"change_request": change_request.pk} if change_request is not None else {}
    _audit(
        Action.VERSION_PUBLISHED, actor, version.definition, version=version.number, hash=version.content_hash, **extra
    )
    return version


@transaction.atomic
def draft_create_from(*, version: DefinitionVersion, actor) -> DefinitionVersion:
    """Start the next change from a published version."""
    ensure_can_edit_definition(user=actor, definition=version.definition)
    if not version.is_published:
        raise Conflict(MSG_NOT_PUBLISHED)
    WorkflowDefinition.objects.select_for_update().filter(pk=version.definition_id).exists()
    if DefinitionVersion.objects.filter(definition_id=version.definition_id, status=VersionStatus.DRAFT).exists():
        raise Conflict(MSG_DRAFT_EXISTS.format(key=version.definition.key))
    draft = DefinitionVersion(
        definition_id=version.definition_id,
        spec=_with_texts(json.loads(json.dumps(version.spec)), version.definition),
        created_by=actor,
        change_note=f"From version {version.number}",
    )
    draft._history_user = actor
    draft._change_reason = f"New draft from version {version.number}"
    draft.save()
    _audit(Action.DRAFT_STARTED, actor, version.definition, from_version=version.number)
    return draft
