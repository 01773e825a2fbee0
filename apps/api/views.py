"""The integrators' API (v1). Each view checks input, calls one service or selector, and
renders the result; permissions are decided in the services and selectors."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import APIException, AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.cases import selectors as case_selectors
from apps.cases import services as case_services
from apps.core import auth_guard
from apps.core.errors import NotFound, ValidationFailed
from apps.definitions.selectors import definitions_published

from .pagination import LinkHeaderPagination
from .parsers import JSONField
from .serializers import (
    CaseOutput,
    TaskDecidedOutput,
    TaskOutput,
    TokenOutput,
    WorkflowOutput,
    history_attach,
)
from .throttles import AnonThrottle, TokenThrottle

MSG_BAD_CREDENTIALS = "Unable to sign in with the username and password given."


class SignInLockedOut(APIException):
    """Too many failed sign-ins for this account or address (apps.core.auth_guard): 429, Retry-After."""

    status_code = 429
    default_code = "locked_out"

    def __init__(self, wait: int):
        super().__init__(auth_guard.lockout_message(wait))
        self.wait = wait


class TokenView(APIView):
    """Exchange a username and password for an API token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonThrottle, TokenThrottle]

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(trim_whitespace=False)

        class Meta:
            ref_name = "TokenRequest"

    def get_authenticate_header(self, request):
        # Without authentication classes DRF turns AuthenticationFailed into a 403; wrong
        # credentials are a 401, which needs a WWW-Authenticate challenge.
        return "Token"

    @extend_schema(request=InputSerializer, responses=TokenOutput)
    def post(self, request):
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = authenticate(request, **payload.validated_data)
        if getattr(request, "axes_locked_out", False):  # set by django-axes during authenticate()
            raise SignInLockedOut(auth_guard.lockout_wait(request, getattr(request, "axes_credentials", None)))
        if user is None or not user.is_active:
            raise AuthenticationFailed(MSG_BAD_CREDENTIALS)
        auth_guard.sign_in_succeeded(request, user.get_username())
        token, _ = Token.objects.get_or_create(user=user)
        return Response(TokenOutput(token).data)


class WorkflowListView(APIView):
    """Published workflows a case can be started on, with their live version's fields."""

    @extend_schema(responses=WorkflowOutput(many=True))
    def get(self, request):
        return Response(WorkflowOutput(definitions_published(), many=True).data)


PAGING_PARAMETERS = [
    OpenApiParameter("page", int, description="Page number, from 1. Links travel in the Link header."),
    OpenApiParameter("per_page", int, description="Items per page (default 100, at most 500)."),
]


def _case_body(case) -> dict:
    return CaseOutput(history_attach([case])[0]).data


class CaseListView(APIView):
    """Cases the caller may see, and starting a new case."""

    class InputSerializer(serializers.Serializer):
        workflow = serializers.CharField(help_text="Key of a published workflow, e.g. purchase-approval.")
        data = JSONField(required=False, default=dict, help_text="Field values.")

        class Meta:
            ref_name = "CaseStart"

    @extend_schema(responses=CaseOutput(many=True), parameters=PAGING_PARAMETERS)
    def get(self, request):
        paginator = LinkHeaderPagination()
        page = paginator.paginate_queryset(case_selectors.case_list_for_user(user=request.user), request, view=self)
        return paginator.get_paginated_response(CaseOutput(history_attach(page), many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: CaseOutput},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="Repeat a POST safely: the same key returns the same case.",
            )
        ],
    )
    def post(self, request):
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip() or None
        if key is not None and len(key) > 200:
            raise ValidationFailed(
                "Idempotency-Key is too long.", field_errors={"Idempotency-Key": ["At most 200 characters."]}
            )
        try:
            case, created = case_services.case_start(
                workflow=payload.validated_data["workflow"],
                data=payload.validated_data["data"],
                actor=request.user,
                idempotency_key=key,
            )
        except NotFound as missing:
            raise ValidationFailed(missing.message, field_errors={"workflow": [missing.message]}) from None
        case = case_selectors.case_get_for_user(user=request.user, case_id=case.pk)
        headers = {"Location": f"/api/v1/cases/{case.pk}/"}
        if not created:
            headers["Idempotent-Replayed"] = "true"
        return Response(_case_body(case), status=status.HTTP_201_CREATED, headers=headers)


class CaseDetailView(APIView):
    @extend_schema(responses=CaseOutput)
    def get(self, request, case_id: int):
        case = case_selectors.case_get_for_user(user=request.user, case_id=case_id)
        return Response(_case_body(case))


class TaskListView(APIView):
    """Open tasks the caller can act on: assigned to them, or claimable through one of their roles."""

    @extend_schema(responses=TaskOutput(many=True), parameters=PAGING_PARAMETERS)
    def get(self, request):
        paginator = LinkHeaderPagination()
        page = paginator.paginate_queryset(case_selectors.task_list_for_user(user=request.user), request, view=self)
        return paginator.get_paginated_response(TaskOutput(page, many=True).data)


class TaskClaimView(APIView):
    @extend_schema(request=None, responses=TaskOutput)
    def post(self, request, task_id: int):
        return Response(TaskOutput(case_services.task_claim(task_id=task_id, actor=request.user)).data)


class TaskReleaseView(APIView):
    @extend_schema(request=None, responses=TaskOutput)
    def post(self, request, task_id: int):
        return Response(TaskOutput(case_services.task_release(task_id=task_id, actor=request.user)).data)


class TaskReassignView(APIView):
    """Move an open task by hand: to a person, or back to a role's queue ("role:<key>").

    Allowed to the holder's manager, operators, administrators and the workflow's owners; the
    segregation-of-duties rule decides who may take it (403 naming why); the new holder and the
    one who lost it are notified; the move is audited with its reason."""

    class InputSerializer(serializers.Serializer):
        to = serializers.CharField(
            max_length=160, help_text='A username, or "role:<key>" for a role\'s queue (e.g. role:finance).'
        )
        reason = serializers.CharField(max_length=2000, help_text="Why the task moves (shown to the new holder).")

    @extend_schema(request=InputSerializer, responses=TaskOutput)
    def post(self, request, task_id: int):
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        task = case_services.task_reassign_by(task_id=task_id, actor=request.user, **payload.validated_data)
        return Response(TaskOutput(task).data)


class TaskCompleteView(APIView):
    class InputSerializer(serializers.Serializer):
        decision = serializers.ChoiceField(["approve", "reject", "return", "submit"])
        reason_code = serializers.CharField(
            required=False,
            allow_blank=True,
            allow_null=True,
            default=None,
            max_length=100,
            help_text="One of the workflow's reason codes (see GET /api/v1/workflows/); stands for the reason.",
        )
        reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
        comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
        data = JSONField(required=False, default=dict)

        class Meta:
            ref_name = "TaskDecision"

    @extend_schema(request=InputSerializer, responses=TaskDecidedOutput)
    def post(self, request, task_id: int):
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if not isinstance(payload.validated_data["data"], dict):
            raise ValidationFailed(
                "data must be an object of field values.", field_errors={"data": ["Expected an object."]}
            )
        task = case_services.task_complete(task_id=task_id, actor=request.user, **payload.validated_data)
        return Response(TaskDecidedOutput(task).data)
