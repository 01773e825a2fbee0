"""Writes to definitions: create, edit the draft, publish, start the next draft."""

import hashlib
import json

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from guardian.shortcuts import assign_perm

from apps.audit.models import Action
from apps.audit.services import audit_record
from apps.core.errors import Conflict, ValidationFailed

from .models import DefinitionVersion, VersionStatus, WorkflowDefinition
from .spec import validate_spec

MSG_NOT_A_DRAFT = "Only a draft can be changed; version {number} is published."
MSG_INVALID_SPEC = "The draft has {count} problem(s); fix them before publishing."
MSG_DRAFT_EXISTS = "Definition '{key}' already has a draft; edit that one."


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


@transaction.atomic
def definition_create(
    *, key: str, name: str, actor, description: str = "", spec: dict | None = None
) -> DefinitionVersion:
    """A new definition with its first draft; the actor owns it."""
    definition = WorkflowDefinition(key=key, name=name, description=description, owner=actor)
    definition.full_clean()
    definition._history_user = actor
    definition.save()
    if actor is not None:
        assign_perm("definitions.edit_definition", actor, definition)
    draft = DefinitionVersion(definition=definition, spec=spec or {}, created_by=actor)
    draft._history_user = actor
    draft.save()
    audit_record(action=Action.DEFINITION_CREATED, actor=actor, step=key, context={"definition": key})
    return draft


@transaction.atomic
def draft_update(*, version: DefinitionVersion, spec: dict, actor, change_note: str = "") -> DefinitionVersion:
    version = DefinitionVersion.objects.select_for_update().get(pk=version.pk)
    if version.is_published:
        raise Conflict(MSG_NOT_A_DRAFT.format(number=version.number))
    version.spec = spec
    version.change_note = change_note or version.change_note
    version._history_user = actor
    version.save()
    return version


@transaction.atomic
def version_publish(*, version: DefinitionVersion, actor) -> DefinitionVersion:
    """Validate the draft and freeze it as the next numbered version."""
    version = DefinitionVersion.objects.select_for_update().get(pk=version.pk)
    if version.is_published:
        raise Conflict(MSG_NOT_A_DRAFT.format(number=version.number))
    problems = validate_spec(version.spec) or spec_org_problems(version.spec)
    if problems:
        raise ValidationFailed(MSG_INVALID_SPEC.format(count=len(problems)), field_errors={"spec": problems})
    # Lock the definition so two publishers cannot take the same number.
    WorkflowDefinition.objects.select_for_update().filter(pk=version.definition_id).exists()
    latest = DefinitionVersion.objects.filter(definition_id=version.definition_id).aggregate(n=Max("number"))["n"]
    version.number = (latest or 0) + 1
    version.status = VersionStatus.PUBLISHED
    version.content_hash = spec_hash(version.spec)
    version.published_at = timezone.now()
    version.published_by = actor
    version._history_user = actor
    version.save()
    audit_record(
        action=Action.VERSION_PUBLISHED,
        actor=actor,
        step=version.definition.key,
        context={"definition": version.definition.key, "version": version.number, "hash": version.content_hash},
    )
    return version


@transaction.atomic
def draft_create_from(*, version: DefinitionVersion, actor) -> DefinitionVersion:
    """Start the next change from a published version."""
    if DefinitionVersion.objects.filter(definition_id=version.definition_id, status=VersionStatus.DRAFT).exists():
        raise Conflict(MSG_DRAFT_EXISTS.format(key=version.definition.key))
    draft = DefinitionVersion(
        definition_id=version.definition_id,
        spec=json.loads(json.dumps(version.spec)),
        created_by=actor,
        change_note=f"From version {version.number}",
    )
    draft._history_user = actor
    draft.save()
    return draft
