"""The evidence pack page (auditors and admins): a range and a workflow in, a ZIP out, and the
last packs taken, who took them and what they held."""

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone

from apps.core.errors import ValidationFailed
from apps.definitions.selectors import definitions_published
from apps.evidence.downloads import evidence_download
from apps.evidence.policy import ensure_may_export_evidence
from apps.evidence.selectors import recent_exports
from apps.evidence.services import VIA_PORTAL

from ..errors import portal_errors

DEFAULT_DAYS = 30


@portal_errors
def evidence_page(request):
    ensure_may_export_evidence(user=request.user)
    today = timezone.localdate()
    values = {"from": (today - timedelta(days=DEFAULT_DAYS)).isoformat(), "to": today.isoformat(), "workflow": ""}
    errors, status = {}, 200
    if request.method == "POST":
        values = {name: request.POST.get(name, "").strip() for name in values}
        try:
            return evidence_download(
                actor=request.user,
                date_from=values["from"],
                date_to=values["to"],
                workflow=values["workflow"],
                via=VIA_PORTAL,
            )
        except ValidationFailed as invalid:
            errors, status = invalid.field_errors, 400
    context = {
        "values": values,
        "errors": errors,
        "workflows": sorted((v.definition.key, v.definition.name) for v in definitions_published()),
        "exports": recent_exports(),
    }
    return render(request, "portal/evidence.html", context, status=status)
