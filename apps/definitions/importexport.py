"""Moving definitions between installations as JSON.

An export holds the definition and its versions (all, or one) with their specs and content
hashes. An import always becomes a new draft (a new definition, or the next draft of an existing
one); it never overwrites a published version. The hashes prove the specs arrived unchanged.
"""

import re

from django.db import transaction

from apps.audit.models import Action
from apps.audit.services import audit_record
from apps.core.errors import Conflict, ValidationFailed
from apps.core.input_guard import contains_nul
from apps.core.jsonsafe import json_loads_limited

from .models import DefinitionVersion, VersionStatus, WorkflowDefinition
from .policy import ensure_builder, ensure_can_edit_definition
from .selectors import definition_versions, version_get
from .services import definition_create, spec_hash
from .spec import validate_spec

FORMAT = "wms.workflow"
FORMAT_VERSION = 1

MSG_NOT_AN_EXPORT = "This is not a WMS workflow export (expected format '{format}')."
MSG_BAD_JSON = "The file is not valid JSON: {problem}"
MSG_NO_VERSION = "The export holds no version {number}."
MSG_EMPTY = "The export holds no versions."
MSG_HASH_MISMATCH = "Version {number} was changed after export: its spec no longer matches its content hash."
MSG_DRAFT_EXISTS = "'{key}' already has a draft here; publish it first, then import again."
MSG_BAD_FIELD = "The export's '{field}' is missing or malformed."
MSG_BAD_KEY = "The key must be 1 to {max} letters, digits, hyphens or underscores."
MSG_BAD_NAME = "The name must be text of 1 to {max} characters."
MSG_BAD_DESCRIPTION = "The description must be text of at most {max} characters."
MSG_BAD_NUMBER = "A version's number must be a whole number of at least 1 (none for a draft)."
MSG_INVALID_IMPORT = "The spec of {version} has {count} problem(s); fix them in the export, or import another version."
MSG_NUL = "The export holds NUL characters (\\u0000), which cannot be stored."

_META = WorkflowDefinition._meta
MAX_LENGTHS = {
    "key": _META.get_field("key").max_length,
    "name": _META.get_field("name").max_length,
    "description": 10_000,
}
KEY_RE = re.compile(r"[-a-zA-Z0-9_]+")  # a slug, as the key's model field and the builder's URLs take it


def definition_export(*, definition, actor, version=None) -> dict:
    """The definition with all its versions (draft included), or only `version` (a number or 'draft')."""
    ensure_can_edit_definition(user=actor, definition=definition)
    versions = (
        [version_get(definition=definition, ref=version)] if version else definition_versions(definition=definition)
    )
    versions = sorted(versions, key=lambda v: (not v.is_published, v.number or 0))
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "key": definition.key,
        "name": definition.name,
        "description": definition.description,
        "versions": [
            {
                "number": v.number,
                "status": v.status,
                "spec": v.spec,
                "content_hash": v.content_hash or spec_hash(v.spec),
                "published_at": v.published_at.isoformat() if v.published_at else None,
                "change_note": v.change_note,
            }
            for v in versions
        ],
    }


def export_parse(text) -> dict:
    try:
        payload = json_loads_limited(text)
    except (TypeError, ValueError) as problem:  # ValueError includes JSONTooDeep
        raise ValidationFailed(MSG_BAD_JSON.format(problem=problem)) from None
    return payload


def _refuse(field: str, message: str):
    raise ValidationFailed(message, field_errors={field: [message]})


def _header_problem(field: str, value) -> str | None:
    """What is wrong with the export's key, name or description (as the database would refuse it)."""
    limit = MAX_LENGTHS[field]
    if field == "key":
        ok = isinstance(value, str) and len(value) <= limit and KEY_RE.fullmatch(value)
        return None if ok else MSG_BAD_KEY.format(max=limit)
    if field == "name":
        ok = isinstance(value, str) and 0 < len(value.strip()) and len(value) <= limit and "\x00" not in value
        return None if ok else MSG_BAD_NAME.format(max=limit)
    ok = isinstance(value, str) and len(value) <= limit and "\x00" not in value
    return None if ok else MSG_BAD_DESCRIPTION.format(max=limit)


def _check(payload) -> list:
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValidationFailed(MSG_NOT_AN_EXPORT.format(format=FORMAT))
    for field in ("key", "name", "description"):
        if field == "description" and "description" not in payload:
            continue
        if problem := _header_problem(field, payload.get(field)):
            _refuse(field, problem)
    versions = payload.get("versions")
    if not isinstance(versions, list) or not versions:
        raise ValidationFailed(MSG_EMPTY)
    for entry in versions:
        if not isinstance(entry, dict) or not isinstance(entry.get("spec"), dict):
            _refuse("versions", MSG_BAD_FIELD.format(field="versions"))
        number = entry.get("number")
        if number is not None and (not isinstance(number, int) or isinstance(number, bool) or number < 1):
            _refuse("versions", MSG_BAD_NUMBER)
        if entry.get("content_hash") and entry["content_hash"] != spec_hash(entry["spec"]):
            raise ValidationFailed(MSG_HASH_MISMATCH.format(number=number or "draft"))
    if contains_nul(payload):
        raise ValidationFailed(MSG_NUL)
    return versions


def _check_spec(chosen: dict) -> None:
    """The checks publishing makes on the spec's shape, so no draft arrives that the builder
    cannot show. (People and roles the spec names are checked when it is published here.)"""
    problems = validate_spec(chosen["spec"])
    if problems:
        version = f"version {chosen['number']}" if chosen.get("number") else "the draft"
        message = MSG_INVALID_IMPORT.format(version=version, count=len(problems))
        raise ValidationFailed(message, field_errors={"spec": problems})


@transaction.atomic
def definition_import(*, payload: dict, actor, version=None) -> DefinitionVersion:
    """Make the chosen version of an export (default: the last one in it) a draft here."""
    ensure_builder(user=actor)
    versions = _check(payload)
    if version is not None:
        chosen = next((v for v in versions if str(v.get("number")) == str(version)), None)
        if chosen is None:
            raise ValidationFailed(MSG_NO_VERSION.format(number=version))
    else:
        chosen = versions[-1]
    _check_spec(chosen)
    origin = f"Imported from {payload['key']} " + (f"version {chosen['number']}" if chosen.get("number") else "draft")
    definition = WorkflowDefinition.objects.select_for_update().filter(key=payload["key"]).first()
    if definition is None:
        draft = definition_create(
            key=payload["key"],
            name=payload["name"],
            description=payload.get("description", ""),
            spec=chosen["spec"],
            actor=actor,
        )
        definition = draft.definition
    else:
        ensure_can_edit_definition(user=actor, definition=definition)
        if definition.versions.filter(status=VersionStatus.DRAFT).exists():
            raise Conflict(MSG_DRAFT_EXISTS.format(key=definition.key))
        draft = DefinitionVersion(definition=definition, spec=chosen["spec"], created_by=actor)
        draft._history_user = actor
    draft.change_note = origin
    draft._change_reason = origin[:100]
    draft.save()
    audit_record(
        action=Action.DEFINITION_IMPORTED,
        actor=actor,
        step=definition.key,
        context={"definition": definition.key, "from": chosen.get("number"), "hash": spec_hash(chosen["spec"])},
    )
    return draft
