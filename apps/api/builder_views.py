"""API for moving workflow definitions between installations (workflow owners and admins only).

GET  /api/v1/definitions/{key}/export/?version=N   the definition (all versions, or one) as JSON
POST /api/v1/definitions/import/?version=N         an export in the body; it becomes a new draft
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.definitions.importexport import definition_export, definition_import
from apps.definitions.models import VersionStatus
from apps.definitions.selectors import definition_get
from apps.definitions.services import spec_hash

from .serializers import IsoDateTimeField

VERSION_PARAMETER = OpenApiParameter("version", str, description="a version number, or 'draft'; default: all")


class ExportedVersionOutput(serializers.Serializer):
    number = serializers.IntegerField(allow_null=True, help_text="null for the draft.")
    status = serializers.CharField(help_text=", ".join(VersionStatus.values))
    spec = serializers.DictField(help_text="The version's spec, as the builder edits it.")
    content_hash = serializers.CharField(help_text="Proves the spec arrived unchanged: checked on import.")
    published_at = IsoDateTimeField(allow_null=True)
    change_note = serializers.CharField()

    class Meta:
        ref_name = "DefinitionExportVersion"


class DefinitionExportOutput(serializers.Serializer):
    """A definition as one installation hands it to another (and as the import takes it)."""

    format = serializers.CharField()
    format_version = serializers.IntegerField()
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    versions = ExportedVersionOutput(many=True)

    class Meta:
        ref_name = "DefinitionExport"


class DefinitionExportView(APIView):
    @extend_schema(parameters=[VERSION_PARAMETER], responses={200: DefinitionExportOutput})
    def get(self, request, key):
        definition = definition_get(key=key)
        version = request.query_params.get("version") or None
        export = definition_export(definition=definition, actor=request.user, version=version)
        return Response(DefinitionExportOutput(export).data)


class DefinitionImportView(APIView):
    class OutputSerializer(serializers.Serializer):
        key = serializers.CharField(source="definition.key")
        draft_id = serializers.IntegerField(source="pk")
        spec_hash = serializers.SerializerMethodField()
        change_note = serializers.CharField()

        class Meta:
            ref_name = "DefinitionImported"

        @extend_schema_field(serializers.CharField())
        def get_spec_hash(self, draft) -> str:
            return spec_hash(draft.spec)

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        parameters=[OpenApiParameter("version", str, description="which version of the export (default: the last)")],
        responses={201: OutputSerializer},
    )
    def post(self, request):
        draft = definition_import(
            payload=request.data, actor=request.user, version=request.query_params.get("version") or None
        )
        return Response(self.OutputSerializer(draft).data, status=status.HTTP_201_CREATED)
