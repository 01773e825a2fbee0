"""Taking an evidence pack out of the system: check who asks, write the pack, audit it."""

import hashlib

from django.db import transaction
from django.utils import timezone

from apps.audit.models import Action
from apps.audit.services import audit_batch, audit_record, chain_heads_record
from apps.core.actors import actor_label

from .policy import ensure_may_export_evidence
from .ranges import EvidenceRange, evidence_range
from .writer import pack_write

VIA_COMMAND, VIA_PORTAL, VIA_API = "command", "portal", "api"


def evidence_export(*, actor, date_from, date_to, workflow: str = "", out, via: str) -> dict:
    """Write the pack of a range onto the binary file object `out` and record the export
    (`evidence.exported`: who, the range, the counts and the SHA-256 of the pack's manifest, which
    names the SHA-256 of every other file). `actor` None is the command line (the system); a
    person must be an auditor or an administrator. Returns the manifest."""
    if actor is not None or via != VIA_COMMAND:
        ensure_may_export_evidence(user=actor)
    scope = evidence_range(date_from=date_from, date_to=date_to, workflow=workflow)
    chain_heads_record()  # the evidence log holds every finished day's head before a pack names them
    exported_by = {"username": actor_label(actor), "user_id": getattr(actor, "pk", None), "via": via}
    manifest, body = pack_write(out=out, scope=scope, exported_by=exported_by, exported_at=timezone.now())
    evidence_export_record(
        actor=actor, scope=scope, manifest=manifest, manifest_sha256=hashlib.sha256(body).hexdigest()
    )
    return manifest


def evidence_export_record(*, actor, scope: EvidenceRange, manifest: dict, manifest_sha256: str):
    with transaction.atomic(), audit_batch():
        return audit_record(
            action=Action.EVIDENCE_EXPORTED,
            actor=actor,
            context={
                "range": {"from": scope.date_from.isoformat(), "to": scope.date_to.isoformat()},
                "workflow": scope.workflow,
                "via": manifest["exported_by"]["via"],
                "counts": manifest["counts"],
                "files": len(manifest["files"]) + 1,
                "manifest_sha256": manifest_sha256,
            },
        )
