"""The Metrics API (v1): the numbers behind the dashboards, for the workflows the caller may see.
The selectors compute them (apps.metrics.selectors); who sees what is apps.metrics.policy's."""

from dataclasses import asdict

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.metrics.filters import metrics_filter
from apps.metrics.policy import ensure_can_see_metrics, metrics_scope
from apps.metrics.selectors import metrics_summary

from .metrics_serializers import MetricsOutput

PARAMETERS = [
    OpenApiParameter("workflow", str, description="A workflow's key; all the workflows you may see without it."),
    OpenApiParameter("version", int, description="Only cases on this version of the workflow (needs workflow)."),
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day of the range, YYYY-MM-DD (included)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day of the range, YYYY-MM-DD (included)."),
    OpenApiParameter(
        "team",
        str,
        description="A department, by its id or its exact name: only cases whose requester belongs to it now.",
    ),
    OpenApiParameter(
        "role",
        str,
        description="A role's key (e.g. finance): only cases that had an approval task in that role's queue.",
    ),
]


class MetricsView(APIView):
    """Work in progress, cycle time, approval latency, exception and rework rates, SLA results,
    pending approvals, exceptions and outcomes. Plain requesters are refused (403)."""

    @extend_schema(parameters=PARAMETERS, responses=MetricsOutput)
    def get(self, request):
        scope = metrics_scope(user=request.user)
        ensure_can_see_metrics(scope=scope)
        query = request.query_params
        chosen = metrics_filter(
            workflow=query.get("workflow", ""),
            version=query.get("version"),
            date_from=query.get("from"),
            date_to=query.get("to"),
            team=query.get("team"),
            role=query.get("role"),
        )
        ensure_can_see_metrics(scope=scope, workflow=chosen.workflow)
        body = metrics_summary(scope=scope, metrics_filter=chosen)
        body["scope"] = {"sees": scope.label, "workflows": None if scope.sees_all else sorted(scope.workflows)}
        body["filter"] = {**asdict(chosen), "workflow": chosen.workflow or None, "role": chosen.role or None}
        return Response(MetricsOutput(body).data)
