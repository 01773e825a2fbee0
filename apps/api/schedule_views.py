"""Recurring workflows in the API (v1): the schedules of the workflows the caller owns, making one,
and changing or pausing one. Permissions are decided by apps.schedules (owners of the workflow
and administrators); bad input answers 400 naming each field (`data.<field>` for prefilled data).

GET/POST /api/v1/schedules/           list (?workflow=KEY) and create
GET/PATCH /api/v1/schedules/{id}/     one schedule with its recent runs; change or pause it
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import NotFound, ValidationFailed
from apps.definitions.policy import ensure_builder
from apps.definitions.selectors import definition_get
from apps.schedules import selectors, services
from apps.schedules.models import RunStatus, ScheduleKind
from apps.schedules.policy import ensure_can_manage

from .pagination import LinkHeaderPagination
from .parsers import JSONField
from .serializers import IsoDateTimeField
from .views import PAGING_PARAMETERS


class ScheduleRunOutput(serializers.Serializer):
    period = serializers.CharField(source="period_key", help_text="The period's key: when it began, UTC.")
    due_at = IsoDateTimeField()
    due_by = IsoDateTimeField(help_text="When the run should be closed.")
    started_at = IsoDateTimeField()
    started_late = serializers.BooleanField(help_text="Started after its period began (a missed period).")
    late = serializers.SerializerMethodField(help_text="Started late, or still open past due_by.")
    status = serializers.ChoiceField(RunStatus.values)
    case = serializers.IntegerField(source="case_id", allow_null=True)
    error = serializers.CharField(help_text="Why the run could not start (status failed).")

    class Meta:
        ref_name = "ScheduleRun"

    def get_late(self, run) -> bool:
        return selectors.run_is_late(run)


class ScheduleOutput(serializers.Serializer):
    id = serializers.IntegerField()
    workflow = serializers.CharField(source="definition.key")
    name = serializers.CharField()
    # NOTE: text, not an enum: drf-spectacular names enums by field name and a task has a `kind` too.
    kind = serializers.CharField(help_text=", ".join(ScheduleKind.values))
    cron = serializers.CharField(help_text="Five fields, in the workflow calendar's time zone.")
    every_days = serializers.IntegerField(allow_null=True)
    due_within_hours = serializers.IntegerField()
    requester = serializers.CharField(source="requester.username")
    data = serializers.DictField()
    is_active = serializers.BooleanField()
    next_due_at = IsoDateTimeField(allow_null=True)
    runs = serializers.SerializerMethodField()

    class Meta:
        ref_name = "Schedule"

    @extend_schema_field(ScheduleRunOutput(many=True))
    def get_runs(self, schedule) -> list:
        """The newest runs (at most ten)."""
        return ScheduleRunOutput(selectors.runs_recent(schedule=schedule), many=True).data


class ScheduleInput(serializers.Serializer):
    workflow = serializers.CharField(help_text="Key of a published workflow you own.")
    name = serializers.CharField(allow_blank=True, max_length=200)
    kind = serializers.CharField(required=False, default=ScheduleKind.CRON, help_text=", ".join(ScheduleKind.values))
    cron = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    every_days = serializers.IntegerField(required=False, allow_null=True, default=None)
    due_within_hours = serializers.IntegerField(required=False, allow_null=True, default=None)
    requester = serializers.CharField(max_length=150, help_text="Username the cases start as.")
    data = JSONField(required=False, default=dict, help_text="Prefilled field values, checked like a case start.")
    is_active = serializers.BooleanField(required=False, default=True)

    class Meta:
        ref_name = "ScheduleCreate"


class ScheduleChange(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    kind = serializers.CharField(required=False, help_text=", ".join(ScheduleKind.values))
    cron = serializers.CharField(required=False, allow_blank=True, max_length=100)
    every_days = serializers.IntegerField(required=False, allow_null=True)
    due_within_hours = serializers.IntegerField(required=False, allow_null=True)
    requester = serializers.CharField(required=False, max_length=150)
    data = JSONField(required=False)
    is_active = serializers.BooleanField(required=False, help_text="false pauses the schedule, true resumes it.")

    class Meta:
        ref_name = "ScheduleChange"


WORKFLOW_PARAMETER = OpenApiParameter("workflow", str, description="Only this workflow's schedules.")


class ScheduleListView(APIView):
    """Schedules of the workflows you own (all, for administrators), and scheduling a workflow."""

    @extend_schema(responses=ScheduleOutput(many=True), parameters=[WORKFLOW_PARAMETER, *PAGING_PARAMETERS])
    def get(self, request):
        ensure_builder(user=request.user)
        paginator = LinkHeaderPagination()
        queryset = selectors.schedules_for_user(user=request.user, workflow=request.query_params.get("workflow", ""))
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(ScheduleOutput(page, many=True).data)

    @extend_schema(request=ScheduleInput, responses={201: ScheduleOutput})
    def post(self, request):
        payload = ScheduleInput(data=request.data)
        payload.is_valid(raise_exception=True)
        values = dict(payload.validated_data)
        try:
            definition = definition_get(key=values.pop("workflow"))
        except NotFound as unknown:
            raise ValidationFailed(unknown.message, field_errors={"workflow": [unknown.message]}) from None
        schedule = services.schedule_create(definition=definition, actor=request.user, **values)
        return Response(
            ScheduleOutput(schedule).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/v1/schedules/{schedule.pk}/"},
        )


class ScheduleDetailView(APIView):
    def _schedule(self, request, schedule_id):
        schedule = selectors.schedule_get(schedule_id=schedule_id)
        ensure_can_manage(user=request.user, definition=schedule.definition)
        return schedule

    @extend_schema(responses=ScheduleOutput)
    def get(self, request, schedule_id):
        return Response(ScheduleOutput(self._schedule(request, schedule_id)).data)

    @extend_schema(request=ScheduleChange, responses=ScheduleOutput)
    def patch(self, request, schedule_id):
        schedule = self._schedule(request, schedule_id)
        payload = ScheduleChange(data=request.data)
        payload.is_valid(raise_exception=True)
        schedule = services.schedule_update(schedule=schedule, actor=request.user, **payload.validated_data)
        return Response(ScheduleOutput(schedule).data)
