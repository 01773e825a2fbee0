"""Migration from spreadsheets over the API (workflow owners and administrators only).

POST /api/v1/cases/import/?workflow=KEY&dry_run=true   multipart field `file` (CSV or XLSX): the per-row report
GET  /api/v1/cases/export/?workflow=KEY&format=csv|xlsx the workflow's cases in the same columns (streamed)
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.cases.importing import cases_import, import_version
from apps.core.errors import ValidationFailed
from apps.core.sheets import FORMATS, sheet_format, sheet_rows
from apps.portal.downloads import cases_export_download

MSG_WORKFLOW_REQUIRED = "Name the workflow: ?workflow=<key>."
MSG_FILE_REQUIRED = "Send the spreadsheet as the multipart field 'file' (CSV or XLSX)."
TRUE = {"1", "true", "yes", "on"}

WORKFLOW_PARAMETER = OpenApiParameter("workflow", str, required=True, description="the workflow's key")


def _workflow(request) -> str:
    key = (request.query_params.get("workflow") or "").strip()
    if not key:
        raise ValidationFailed(MSG_WORKFLOW_REQUIRED, field_errors={"workflow": [MSG_WORKFLOW_REQUIRED]})
    return key


class ImportRowOutput(serializers.Serializer):
    row = serializers.IntegerField(help_text="1 is the first row under the header.")
    external_id = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=["created", "skipped", "error"])
    case = serializers.IntegerField(allow_null=True, help_text="null for an error, and in a dry run for 'created'.")
    errors = serializers.DictField(child=serializers.CharField(), help_text="column -> reason")

    class Meta:
        ref_name = "CaseImportRow"


class ImportReportOutput(serializers.Serializer):
    rows = ImportRowOutput(many=True)
    created = serializers.IntegerField()
    skipped = serializers.IntegerField()
    errors = serializers.IntegerField()

    class Meta:
        ref_name = "CaseImportReport"


class CaseImportView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        parameters=[
            WORKFLOW_PARAMETER,
            OpenApiParameter("dry_run", bool, description="report only; nothing is written"),
        ],
        request={
            "multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
        },
        responses={200: ImportReportOutput},
    )
    def post(self, request):
        workflow = _workflow(request)
        import_version(workflow=workflow, actor=request.user)  # unknown workflow: 400; non-owner: 403
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationFailed(MSG_FILE_REQUIRED, field_errors={"file": [MSG_FILE_REQUIRED]})
        headers, rows = sheet_rows(upload, fmt=sheet_format(upload.name))
        report = cases_import(
            workflow=workflow,
            headers=headers,
            rows=rows,
            actor=request.user,
            dry_run=(request.query_params.get("dry_run") or "").lower() in TRUE,
            source=upload.name,
        )
        return Response(ImportReportOutput(report).data)


class CaseExportView(APIView):
    def perform_content_negotiation(self, request, force=False):
        # ?format= names the file's format here, not one of DRF's renderers (its URL override).
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        parameters=[WORKFLOW_PARAMETER, OpenApiParameter("format", str, enum=list(FORMATS), description="default csv")],
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
    )
    def get(self, request):
        fmt = (request.query_params.get("format") or "csv").lower()
        return cases_export_download(workflow=_workflow(request), fmt=fmt, actor=request.user)
