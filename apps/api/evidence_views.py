"""GET /api/v1/evidence/?from=&to=&workflow=: an evidence pack, as a ZIP (auditors and admins).

The pack is written to a temporary file and streamed from it (apps.evidence.downloads). What the
pack holds and how to check it: README "Evidence packs"."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.views import APIView

from apps.evidence.downloads import evidence_download
from apps.evidence.policy import ensure_may_export_evidence
from apps.evidence.services import VIA_API

PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, required=True, description="First day, YYYY-MM-DD (included)."),
    OpenApiParameter("to", OpenApiTypes.DATE, required=True, description="Last day, YYYY-MM-DD (included)."),
    OpenApiParameter(
        "workflow", str, description="Only the cases of this workflow (its key); every workflow without it."
    ),
]


class EvidenceView(APIView):
    """The evidence pack of a range of days: the cases open in it (CSV and JSON), their decisions
    and full audit trail, the workflow versions in force (spec and SOP), the attachments with
    their SHA-256, role memberships and changes, and `manifest.json` with the SHA-256 of every
    file. Check it offline with `manage.py evidence_verify`. Auditors and administrators only;
    each export is audited (`evidence.exported`)."""

    @extend_schema(
        parameters=PARAMETERS,
        responses={(200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The pack (ZIP).")},
    )
    def get(self, request):
        ensure_may_export_evidence(user=request.user)
        query = request.query_params
        return evidence_download(
            actor=request.user,
            date_from=query.get("from"),
            date_to=query.get("to"),
            workflow=query.get("workflow", ""),
            via=VIA_API,
        )
