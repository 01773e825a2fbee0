"""The integrators' API (v1). Each view checks input, calls one service or selector, and
renders the result; permissions are decided in the services and selectors."""

from collections import defaultdict

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import APIException, AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.models import AuditEvent
from apps.cases import selectors as case_selectors
from apps.cases import services as case_services
from apps.core import auth_guard
from apps.core.errors import NotFound, ValidationFailed
from apps.definitions.selectors import definitions_published

from .pagination import LinkHeaderPagination
from .parsers import JSONField
from .representations import case_repr, task_repr
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

    @extend_schema(request=InputSerializer, responses=inline_serializer("Token", {"token": serializers.CharField()}))
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
        return Response({"token": token.key})


class WorkflowListView(APIView):
    """Published workflows a case can be started on, with their live version's fields."""

    @extend_schema(
        responses=inline_serializer(
            "Workflow",
            {
                "key": serializers.CharField(),
                "name": serializers.CharField(),
                "description": serializers.CharField(),
                "version": serializers.IntegerField(),
                "fields": serializers.ListField(child=serializers.DictField()),
                "reason_codes": serializers.ListField(
                    child=serializers.DictField(), help_text="Each {code, label}: what a decision may cite."
                ),
            },
            many=True,
        )
    )
    def get(self, request):
        return Response(
            [
                {
                    "key": v.definition.key,
                    "name": v.definition.name,
                    "description": v.definition.description,
                    "version": v.number,
                    "fields": v.spec.get("fields", []),
                    "reason_codes": v.spec.get("reason_codes", []),
                }
                for v in definitions_published()
            ]
        )


def _cases_with_history(cases) -> list[dict]:
    by_case = defaultdict(list)
    for event in AuditEvent.objects.filter(case_id__in=[c.pk for c in cases]).order_by("at", "id"):
        by_case[event.case_id].append(event)
    return [case_repr(c, by_case[c.pk]) for c in cases]


class EscalationDoc(serializers.Serializer):
    action = serializers.CharField(help_text="What happens then: remind, escalate, notify, breach, ...")
    at = serializers.DateTimeField()

    class Meta:
        ref_name = "Escalation"


class TaskDoc(serializers.Serializer):
    """How a task looks in the API (documentation only; `task_repr` renders it)."""

    id = serializers.IntegerField()
    case = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(["approval", "rework"])
    status = serializers.CharField()
    assignee = serializers.CharField(allow_null=True)
    role = serializers.CharField(allow_null=True)
    stage = serializers.CharField(allow_null=True)
    created = serializers.DateTimeField()
    due = serializers.DateTimeField(allow_null=True, help_text="When the task's SLA runs out; null without one.")
    breached = serializers.BooleanField(help_text="Past its due (or was, when it was decided).")
    next_escalation = EscalationDoc(allow_null=True, help_text="The next SLA level that will fire, if any.")
    why = serializers.CharField()
    missing = serializers.ListField(child=serializers.CharField(), allow_null=True)
    message = serializers.CharField(allow_null=True)

    class Meta:
        ref_name = "Task"


class TaskDecidedDoc(TaskDoc):
    decision = serializers.CharField()
    case_status = serializers.CharField(help_text="open or closed, after the decision.")
    case_outcome = serializers.CharField(allow_null=True)
    case_state = serializers.CharField()

    class Meta:
        ref_name = "TaskDecided"


class HistoryEntryDoc(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField(help_text="Username, or SYSTEM.")
    action = serializers.CharField()
    step = serializers.CharField()
    reason = serializers.CharField()
    comment = serializers.CharField()

    class Meta:
        ref_name = "HistoryEntry"


class CaseDoc(serializers.Serializer):
    """How a case looks in the API (documentation only; `case_repr` renders it)."""

    id = serializers.IntegerField()
    workflow = serializers.CharField()
    version = serializers.IntegerField()
    test = serializers.BooleanField(help_text="A trial run of a draft from the builder, not real work.")
    status = serializers.ChoiceField(["open", "closed"])
    outcome = serializers.CharField(allow_null=True)
    state = serializers.CharField()
    requester = serializers.CharField()
    created = serializers.DateTimeField()
    closed = serializers.DateTimeField(allow_null=True)
    closed_reason = serializers.CharField()
    data = serializers.DictField()
    open_tasks = TaskDoc(many=True)
    due = serializers.DateTimeField(allow_null=True, help_text="The earliest due of its open tasks; null if none.")
    breached = serializers.BooleanField(help_text="One of its open tasks is past its due.")
    route = serializers.DictField(help_text="Why the case is where it is: rules, inputs, outcome.")
    history = HistoryEntryDoc(many=True)

    class Meta:
        ref_name = "Case"


CASE_SCHEMA = CaseDoc
TASK_SCHEMA = TaskDoc
TASK_DECIDED_SCHEMA = TaskDecidedDoc
PAGING_PARAMETERS = [
    OpenApiParameter("page", int, description="Page number, from 1. Links travel in the Link header."),
    OpenApiParameter("per_page", int, description="Items per page (default 100, at most 500)."),
]


class CaseListView(APIView):
    """Cases the caller may see, and starting a new case."""

    class InputSerializer(serializers.Serializer):
        workflow = serializers.CharField(help_text="Key of a published workflow, e.g. purchase-approval.")
        data = JSONField(required=False, default=dict, help_text="Field values.")

        class Meta:
            ref_name = "CaseStart"

    @extend_schema(responses=CASE_SCHEMA(many=True), parameters=PAGING_PARAMETERS)
    def get(self, request):
        paginator = LinkHeaderPagination()
        page = paginator.paginate_queryset(case_selectors.case_list_for_user(user=request.user), request, view=self)
        return paginator.get_paginated_response(_cases_with_history(page))

    @extend_schema(
        request=InputSerializer,
        responses={201: CASE_SCHEMA},
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
        return Response(_cases_with_history([case])[0], status=status.HTTP_201_CREATED, headers=headers)


class CaseDetailView(APIView):
    @extend_schema(responses=CASE_SCHEMA)
    def get(self, request, case_id: int):
        case = case_selectors.case_get_for_user(user=request.user, case_id=case_id)
        return Response(_cases_with_history([case])[0])


class TaskListView(APIView):
    """Open tasks the caller can act on: assigned to them, or claimable through one of their roles."""

    @extend_schema(responses=TASK_SCHEMA(many=True), parameters=PAGING_PARAMETERS)
    def get(self, request):
        paginator = LinkHeaderPagination()
        page = paginator.paginate_queryset(case_selectors.task_list_for_user(user=request.user), request, view=self)
        return paginator.get_paginated_response([task_repr(t) for t in page])


class TaskClaimView(APIView):
    @extend_schema(request=None, responses=TASK_SCHEMA)
    def post(self, request, task_id: int):
        return Response(task_repr(case_services.task_claim(task_id=task_id, actor=request.user)))


class TaskReleaseView(APIView):
    @extend_schema(request=None, responses=TASK_SCHEMA)
    def post(self, request, task_id: int):
        return Response(task_repr(case_services.task_release(task_id=task_id, actor=request.user)))


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

    @extend_schema(request=InputSerializer, responses=TASK_DECIDED_SCHEMA)
    def post(self, request, task_id: int):
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if not isinstance(payload.validated_data["data"], dict):
            raise ValidationFailed(
                "data must be an object of field values.", field_errors={"data": ["Expected an object."]}
            )
        task = case_services.task_complete(task_id=task_id, actor=request.user, **payload.validated_data)
        body = task_repr(task)
        case = task.process
        body.update(
            decision=task.data.get("decision"),
            case_status=case.status_label,
            case_outcome=case.outcome,
            case_state=case.state,
        )
        return Response(body)
