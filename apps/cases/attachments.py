"""Attaching documents to a case: checked for size and type, stored under their checksum."""

import hashlib
import os

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from apps.audit.models import Action
from apps.audit.services import audit_record
from apps.core.errors import Conflict, ValidationFailed

from .models import Attachment, Case
from .policy import ensure_can_write

MSG_TOO_LARGE = "'{name}' is {size}; files can be at most {limit}."
MSG_TYPE_NOT_ALLOWED = "'{name}': only {allowed} files can be attached."
MSG_EMPTY = "'{name}' is empty."
MSG_CASE_CLOSED = "Documents can only be attached while the case is open."


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def attachment_check(upload) -> None:
    """Raise ValidationFailed (field 'attachments') unless the upload is an allowed, non-empty file."""
    name = os.path.basename(upload.name or "file")
    extension = os.path.splitext(name)[1].lower()
    allowed = settings.ATTACHMENT_EXTENSIONS
    if extension not in allowed:
        message = MSG_TYPE_NOT_ALLOWED.format(name=name, allowed=", ".join(sorted(e.lstrip(".") for e in allowed)))
        raise ValidationFailed(message, field_errors={"attachments": [message]})
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        message = MSG_TOO_LARGE.format(
            name=name, size=_megabytes(upload.size), limit=_megabytes(settings.ATTACHMENT_MAX_BYTES)
        )
        raise ValidationFailed(message, field_errors={"attachments": [message]})
    if upload.size == 0:
        message = MSG_EMPTY.format(name=name)
        raise ValidationFailed(message, field_errors={"attachments": [message]})


@transaction.atomic
def case_attachment_add(*, case: Case, actor, upload, with_request: bool = False) -> Attachment:
    """Store one uploaded file on the case; its content type comes from the allowed list, not the client.

    Only the people working on the case may (policy.case_can_write): NotAllowed otherwise.
    `with_request`: a document the requester sent with the request, kept even when the case
    closed as it started (no approver applied); otherwise a closed case takes none (Conflict).
    """
    ensure_can_write(user=actor, case=case)
    if not case.is_open and not (with_request and case.requester_id == actor.pk):
        raise Conflict(MSG_CASE_CLOSED)
    attachment_check(upload)
    name = os.path.basename(upload.name)[:255]
    content_type = settings.ATTACHMENT_EXTENSIONS[os.path.splitext(name)[1].lower()]
    return _attachment_store(case=case, name=name, content=upload.read(), content_type=content_type, actor=actor)


def case_evidence_store(*, case: Case, name: str, content: bytes, content_type: str, context: dict) -> Attachment:
    """Store a document the system itself took for the case (a UI step's screenshot), with its
    SHA-256, audited as the system's. No upload checks: nobody sent it; closed cases take it too
    (a late attempt's screenshot is evidence all the same). Call it inside the transaction."""
    return _attachment_store(case=case, name=name, content=content, content_type=content_type, context=context)


def _attachment_store(
    *, case: Case, name: str, content: bytes, content_type: str, actor=None, context: dict | None = None
) -> Attachment:
    """Write one document of the case under its SHA-256 and audit it (`actor` None: the system)."""
    digest = hashlib.sha256(content).hexdigest()
    attachment = Attachment(
        case=case,
        uploaded_by=actor,
        name=os.path.basename(name)[:255],
        size=len(content),
        content_type=content_type,
        sha256=digest,
    )
    attachment.file.save(digest, ContentFile(content), save=False)
    attachment.save()
    audit_record(
        action=Action.ATTACHMENT_ADDED,
        actor=actor,
        case=case,
        step=attachment.name,
        context={"sha256": digest, "size": attachment.size, **(context or {})},
    )
    return attachment
