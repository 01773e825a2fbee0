"""API for moving workflow definitions between installations (workflow owners and admins only).

GET  /api/v1/definitions/{key}/export/?version=N   the definition (all versions, or one) as JSON
POST /api/v1/definitions/import/?version=N         an export in the body; it becomes a new draft
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.definitions.importexport import definition_export, definition_import
from apps.definitions.selectors import definition_get
from apps.definitions.services import spec_hash

VERSION_PARAMETER = OpenApiParameter("version", str, description="a version number, or 'draft'; default: all")


class DefinitionExportView(APIView):
    @extend_schema(parameters=[VERSION_PARAMETER], responses={200: OpenApiTypes.OBJECT})
    def get(self, request, key):
        definition = definition_get(key=key)
        version = request.query_params.get("version") or None
        return Response(definition_export(definition=definition, actor=request.user, version=version))


class DefinitionImportView(APIView):
    class OutputSerializer(serializers.Serializer):
        key = serializers.CharField()
        draft_id = serializers.IntegerField()
        spec_hash = serializers.CharField()
        change_note = serializers.CharField()

        class Meta:
            ref_name = "DefinitionImported"

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        parameters=[OpenApiParameter("version", str, description="which version of the export (default: the last)")],
        responses={201: OutputSerializer},
    )
    def post(self, request):
        draft = definition_import(
            payload=request.data, actor=request.user, version=request.query_params.get("version") or None
        )
        body = {
            "key": draft.definition.key,
            "draft_id": draft.pk,
            "spec_hash": spec_hash(draft.spec),
            "change_note": draft.change_note,
        }
        return Response(self.OutputSerializer(body).data, status=status.HTTP_201_CREATED)
