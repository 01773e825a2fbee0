"""Inbound endpoints managed: created, their secret rotated, deactivated and reactivated.

Integrators and administrators do this in the portal (Webhooks › Inbound) or with
`manage.py inbound_endpoint`; both call these functions, so they check, validate and audit alike.
(Receiving the calls is apps.integrations.inbound.)

The secret is stored as given, not hashed: checking a sender's HMAC needs the key itself (as for
outbound subscriptions). `endpoint_create` and `endpoint_secret_rotate` return it on the object,
to be shown once; it never goes into the audit trail or a log. A rotation takes effect at once:
the endpoint keeps one secret, so from the next call the old one is refused (no grace period).
"""

import re
import secrets
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from apps.audit.services import audit_record
from apps.core.errors import NotFound, ValidationFailed
from apps.definitions.accessors import spec_of
from apps.definitions.selectors import version_live

from .models import InboundAction, InboundEndpoint
from .services import SECRET_BYTES, SECRET_MIN_LENGTH, _may_manage

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")

# Audit actions (free text in the audit trail, like the subscriptions' "webhook.*").
AUDIT_INBOUND_CREATED = "webhook.inbound_created"
AUDIT_INBOUND_ROTATED = "webhook.inbound_rotated"
AUDIT_INBOUND_DEACTIVATED = "webhook.inbound_deactivated"
AUDIT_INBOUND_ACTIVATED = "webhook.inbound_activated"

MSG_NOT_FOUND = "No such inbound endpoint."
MSG_ACTION_UNKNOWN = "Choose start_case or complete_step."
MSG_STEP_UNKNOWN = "The live version of the workflow has no wait step with this key."
MSG_CASE_PATH_INVALID = "Give the dotted path where the body names the case, e.g. case_id."
MSG_SLUG_INVALID = "Use 1-100 lowercase letters, digits, '-' or '_'."
MSG_SLUG_TAKEN = "Another inbound endpoint has this slug."
MSG_NAME_REQUIRED = "Give the endpoint a name."
MSG_NAME_TOO_LONG = "A name has at most 100 characters."
MSG_WORKFLOW_UNKNOWN = "No published workflow has this key."
MSG_RUN_AS_REQUIRED = "Choose an active user to start the cases as."
MSG_FIELD_MAP_INVALID = 'Map case fields to dotted paths in the body: {"amount": "order.total"}.'
MSG_FIELD_MAP_LINE = "'{item}' is not field=dotted.path."
MSG_SECRET_SHORT = f"A secret has at least {SECRET_MIN_LENGTH} characters; leave it empty to have one generated."
MSG_SECRET_LONG = "A secret has at most 200 characters."
MSG_INVALID = "The inbound endpoint is not valid: {fields}."


def field_map_parse(items: Iterable[str]) -> dict:
    """`field=dotted.path` items (the command's --map, the portal's lines) as a field map; blank
    items are skipped. Raises ValidationFailed on `field_map` naming the first malformed item."""
    field_map = {}
    for item in items:
        if not item.strip():
            continue
        field, sep, path = item.partition("=")
        if not sep or not field.strip() or not path.strip():
            message = MSG_FIELD_MAP_LINE.format(item=item.strip())
            raise ValidationFailed(message, field_errors={"field_map": [message]})
        field_map[field.strip()] = path.strip()
    return field_map


def endpoint_create(
    *,
    actor,
    slug: str,
    name: str,
    workflow: str,
    run_as,
    field_map: dict | None,
    secret: str = "",
    action: str = InboundAction.START_CASE,
    step: str = "",
    case_path: str = "case_id",
) -> InboundEndpoint:
    """Create an inbound endpoint (integrators and administrators). The secret, generated when
    empty, is readable on the returned object: show it once.

    `action` start_case starts a case of `workflow` with the mapped fields; complete_step finishes
    the wait step `step` of the case whose id is at `case_path` in the body, writing the mapped fields.
    `run_as` is a user, a user's id or a username. Every bad field is named at once.
    """
    _may_manage(actor)
    step, case_path = (step or "").strip(), (case_path or "").strip()
    slug, name, workflow, secret = (slug or "").strip(), (name or "").strip(), (workflow or "").strip(), secret or ""
    errors: dict[str, list[str]] = {}
    if not SLUG_RE.match(slug):
        errors["slug"] = [MSG_SLUG_INVALID]
    elif InboundEndpoint.objects.filter(slug=slug).exists():
        errors["slug"] = [MSG_SLUG_TAKEN]
    if not name:
        errors["name"] = [MSG_NAME_REQUIRED]
    elif len(name) > 100:
        errors["name"] = [MSG_NAME_TOO_LONG]
    try:
        live = version_live(key=workflow)
    except NotFound:
        errors["workflow"] = [MSG_WORKFLOW_UNKNOWN]
        live = None
    if action not in InboundAction.values:
        errors["action"] = [MSG_ACTION_UNKNOWN]
    elif action == InboundAction.COMPLETE_STEP:
        waits = {s.key for s in spec_of(live).stages if s.is_wait} if live else set()
        if live is not None and step not in waits:
            errors["step"] = [MSG_STEP_UNKNOWN]
        if not case_path or len(case_path) > 200:
            errors["case_path"] = [MSG_CASE_PATH_INVALID]
    run_as = _user(run_as)
    if run_as is None or not run_as.is_active:
        errors["run_as"] = [MSG_RUN_AS_REQUIRED]
    if (
        not isinstance(field_map, dict)
        or (not field_map and action != InboundAction.COMPLETE_STEP)
        or not all(isinstance(k, str) and k and isinstance(v, str) and v.strip() for k, v in field_map.items())
    ):
        errors["field_map"] = [MSG_FIELD_MAP_INVALID]
    _check_secret(secret, errors)
    if errors:
        raise ValidationFailed(MSG_INVALID.format(fields=", ".join(errors)), field_errors=errors)
    try:
        with transaction.atomic():
            endpoint = InboundEndpoint.objects.create(
                slug=slug,
                name=name,
                workflow=workflow,
                run_as=run_as,
                field_map={k: v.strip() for k, v in field_map.items()},
                secret=secret or _new_secret(),
                action=action,
                step=step if action == InboundAction.COMPLETE_STEP else "",
                case_path=case_path if action == InboundAction.COMPLETE_STEP else "",
                created_by=actor,
            )
            audit_record(
                action=AUDIT_INBOUND_CREATED,
                actor=actor,
                # Never the secret: the audit trail is read by auditors.
                data={
                    "slug": slug,
                    "name": name,
                    "workflow": workflow,
                    "run_as": run_as.username,
                    "action": action,
                    "step": endpoint.step,
                },
                context={"inbound_endpoint": endpoint.pk},
            )
    except IntegrityError:
        # Another request took the slug between the check above and the insert.
        if InboundEndpoint.objects.filter(slug=slug).exists():
            raise ValidationFailed(MSG_INVALID.format(fields="slug"), field_errors={"slug": [MSG_SLUG_TAKEN]}) from None
        raise
    return endpoint


def endpoint_secret_rotate(*, actor, endpoint_id: int, secret: str = "") -> InboundEndpoint:
    """Give the endpoint a new secret (generated when empty), readable on the returned object:
    show it once. The old secret is refused from the next call on."""
    _may_manage(actor)
    errors: dict[str, list[str]] = {}
    _check_secret(secret or "", errors)
    if errors:
        raise ValidationFailed(MSG_INVALID.format(fields="secret"), field_errors=errors)
    with transaction.atomic():
        endpoint = _locked(endpoint_id)
        endpoint.secret = secret or _new_secret()
        endpoint.save(update_fields=["secret"])
        audit_record(
            action=AUDIT_INBOUND_ROTATED,
            actor=actor,
            data={"slug": endpoint.slug},  # never the secret, old or new
            context={"inbound_endpoint": endpoint.pk},
        )
    return endpoint


def endpoint_deactivate(*, actor, endpoint_id: int) -> InboundEndpoint:
    """Refuse every call to the endpoint (404, saying it is deactivated); its calls stay on record."""
    return _set_active(actor=actor, endpoint_id=endpoint_id, active=False)


def endpoint_activate(*, actor, endpoint_id: int) -> InboundEndpoint:
    """Take calls again, signed with the secret the endpoint has."""
    return _set_active(actor=actor, endpoint_id=endpoint_id, active=True)


def _set_active(*, actor, endpoint_id: int, active: bool) -> InboundEndpoint:
    _may_manage(actor)
    with transaction.atomic():
        endpoint = _locked(endpoint_id)
        if endpoint.is_active != active:  # asking twice changes (and records) nothing
            endpoint.is_active = active
            endpoint.save(update_fields=["is_active"])
            audit_record(
                action=AUDIT_INBOUND_ACTIVATED if active else AUDIT_INBOUND_DEACTIVATED,
                actor=actor,
                data={"slug": endpoint.slug, "name": endpoint.name},
                context={"inbound_endpoint": endpoint.pk},
            )
    return endpoint


def _locked(endpoint_id: int) -> InboundEndpoint:
    endpoint = InboundEndpoint.objects.select_for_update().filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound(MSG_NOT_FOUND)
    return endpoint


def _user(value):
    if isinstance(value, int | str) and not isinstance(value, bool):
        users = get_user_model().objects
        found = users.filter(pk=value) if isinstance(value, int) else users.filter(username=value.strip())
        return found.first() if str(value).strip() else None
    return value


def _check_secret(secret: str, errors: dict) -> None:
    if secret and len(secret) < SECRET_MIN_LENGTH:
        errors["secret"] = [MSG_SECRET_SHORT]
    elif len(secret) > 200:
        errors["secret"] = [MSG_SECRET_LONG]


def _new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(SECRET_BYTES)
