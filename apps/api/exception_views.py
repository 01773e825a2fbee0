"""The exception queue in the API (v1): automated steps that failed for good, what was sent and
answered, and the operators' repairs (retry with corrected data, skip, route to a person, cancel
the case). Permissions are decided by the repair services and the selectors."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.automation import exception_selectors as selectors
from apps.automation import selectors as queue_selectors
from apps.automation import services as steps

from .exception_serializers import (
    AssignInput,
    CancelInput,
    QueueFilter,
    RetryInput,
    RetryVersionInput,
    SkipInput,
    StepRunDetailOutput,
    StepRunOutput,
)
from .pagination import LinkHeaderPagination
from .views import PAGING_PARAMETERS


def _items(runs) -> list[dict]:
    return StepRunOutput(runs, many=True, context={"now": timezone.now()}).data


def _repairable(request, run_id: int) -> int:
    """Who may not repair steps learns nothing of a step not routed to them, not even whether it
    exists: 403 either way, before the body is read, as when reading it and in the portal."""
    return queue_selectors.step_run_get(user=request.user, run_id=run_id).pk


def _repaired(run) -> Response:
    return Response(StepRunOutput(selectors.step_run_reload(run_id=run.pk)).data)


def _repair(request, run_id: int, payload_class, action) -> Response:
    """One repair action: who asks is checked first (403, before the body is read), then the
    body (400 naming the field), then `action(run_id=, actor=, **body)` (409 when the step moved
    on); the step as the action left it."""
    run_id = _repairable(request, run_id)
    payload = payload_class(data=request.data)
    payload.is_valid(raise_exception=True)
    return _repaired(action(run_id=run_id, actor=request.user, **payload.validated_data))


class ExceptionListView(APIView):
    """The exception queue, longest-failed first: for operators, integrators and administrators."""

    @extend_schema(parameters=[QueueFilter, *PAGING_PARAMETERS], responses=StepRunOutput(many=True))
    def get(self, request):
        query = QueueFilter(data=request.query_params)
        query.is_valid(raise_exception=True)
        paginator = LinkHeaderPagination()
        runs = selectors.step_run_queue(user=request.user, **query.validated_data)
        page = paginator.paginate_queryset(runs, request, view=self)
        return paginator.get_paginated_response(_items(page))


class ExceptionDetailView(APIView):
    """One step: the last request (secrets redacted) and answer, and every attempt."""

    @extend_schema(responses=StepRunDetailOutput)
    def get(self, request, run_id: int):
        run = selectors.step_run_get(user=request.user, run_id=run_id)
        repairer = queue_selectors.user_may_repair(user=request.user, run=run)
        ui = queue_selectors.step_run_ui(run=run, repairer=repairer)
        return Response(StepRunDetailOutput(run, context={"ui": ui}).data)


class ExceptionRetryView(APIView):
    """Call the other system again now. Corrected data makes it a new request (new Idempotency-Key)."""

    @extend_schema(request=RetryInput, responses=StepRunOutput)
    def post(self, request, run_id: int):
        return _repair(request, run_id, RetryInput, steps.step_retry)


class ExceptionRetryVersionView(APIView):
    """Retry a UI step with the script of the workflow's latest published version (the repair after
    the other system's page changed and the owner published a fixed script). 409 when that
    version is not the latest or has no UI step with this key."""

    @extend_schema(request=RetryVersionInput, responses=StepRunOutput)
    def post(self, request, run_id: int):
        return _repair(request, run_id, RetryVersionInput, steps.step_retry_version)


class ExceptionSkipView(APIView):
    """Go on without the step (done by hand, or not needed); it is never run again."""

    @extend_schema(request=SkipInput, responses=StepRunOutput)
    def post(self, request, run_id: int):
        return _repair(request, run_id, SkipInput, steps.step_skip)


class ExceptionAssignView(APIView):
    """Route the step to a named person, who is told and may repair it."""

    @extend_schema(request=AssignInput, responses=StepRunOutput)
    def post(self, request, run_id: int):
        return _repair(request, run_id, AssignInput, steps.step_assign)


class ExceptionCancelView(APIView):
    """Give up on the case: it closes as cancelled and the steps already done are undone."""

    @extend_schema(request=CancelInput, responses=StepRunOutput)
    def post(self, request, run_id: int):
        return _repair(request, run_id, CancelInput, steps.step_cancel_case)


class CaseStepListView(APIView):
    """A case's automated steps, in the order they started, for anyone who may see the case."""

    @extend_schema(parameters=PAGING_PARAMETERS, responses=StepRunOutput(many=True))
    def get(self, request, case_id: int):
        paginator = LinkHeaderPagination()
        runs = selectors.step_runs_for_case(user=request.user, case_id=case_id)
        page = paginator.paginate_queryset(runs, request, view=self)
        return paginator.get_paginated_response(_items(page))
