"""Webhook subscriptions and their deliveries in the API (v1). Permissions are decided by the
integrations services and selectors: integrators and administrators manage subscriptions,
operators see deliveries and send dead ones again."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.integrations import inbound, selectors, services
from apps.integrations.models import EVENTS

from .pagination import LinkHeaderPagination
from .schema import ErrorSerializer
from .throttles import InboundHookThrottle
from .views import PAGING_PARAMETERS


class SubscriptionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.ChoiceField(EVENTS))
    is_active = serializers.BooleanField()
    created = serializers.DateTimeField()
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)

    class Meta:
        ref_name = "WebhookSubscription"


class SubscriptionCreatedOutput(SubscriptionOutput):
    secret = serializers.CharField(help_text="Shown once, here: sign-check deliveries with it.")

    class Meta:
        ref_name = "WebhookSubscriptionCreated"


class DeliveryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    subscription = serializers.IntegerField(source="subscription_id")
    event = serializers.CharField()
    delivery_id = serializers.UUIDField()
    status = serializers.ChoiceField(["pending", "delivered", "retrying", "dead"])
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    last_response = serializers.CharField()
    created = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    payload = serializers.JSONField()

    class Meta:
        ref_name = "WebhookDelivery"


class InboundAcceptedOutput(serializers.Serializer):
    case = serializers.IntegerField()
    delivery = serializers.CharField()

    class Meta:
        ref_name = "InboundHookAccepted"


class WebhookListView(APIView):
    """Webhook subscriptions, and subscribing a new receiver."""

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(allow_blank=True, max_length=200)
        url = serializers.CharField(
            allow_blank=True,
            max_length=2000,
            help_text="A public address: this machine, private networks and cloud metadata are refused.",
        )
        events = serializers.ListField(child=serializers.CharField(max_length=100), help_text=", ".join(EVENTS))
        secret = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=500, help_text="Empty: one is generated."
        )
        is_active = serializers.BooleanField(required=False, default=True)

        class Meta:
            ref_name = "WebhookSubscriptionCreate"

    @extend_schema(responses=SubscriptionOutput(many=True), parameters=PAGING_PARAMETERS)
    def get(self, request):
        paginator = LinkHeaderPagination()
        queryset = selectors.subscriptions_list(user=request.user).select_related("created_by")
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(SubscriptionOutput(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: SubscriptionCreatedOutput})
    def post(self, request):
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        subscription = services.subscription_create(actor=request.user, **payload.validated_data)
        return Response(
            SubscriptionCreatedOutput(subscription).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/v1/webhooks/{subscription.pk}/"},
        )


class WebhookDetailView(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(required=False, allow_blank=True, max_length=200)
        url = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=2000,
            help_text="A public address: this machine, private networks and cloud metadata are refused.",
        )
        events = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
        is_active = serializers.BooleanField(required=False)

        class Meta:
            ref_name = "WebhookSubscriptionChange"

    @extend_schema(responses=SubscriptionOutput)
    def get(self, request, subscription_id: int):
        subscription = selectors.subscription_get(user=request.user, subscription_id=subscription_id)
        return Response(SubscriptionOutput(subscription).data)

    @extend_schema(request=InputSerializer, responses=SubscriptionOutput)
    def patch(self, request, subscription_id: int):
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        subscription = services.subscription_update(
            actor=request.user, subscription_id=subscription_id, **payload.validated_data
        )
        return Response(SubscriptionOutput(subscription).data)

    @extend_schema(request=None, responses={200: SubscriptionOutput})
    def delete(self, request, subscription_id: int):
        """Deactivate: nothing more is sent; the delivery history stays readable."""
        subscription = services.subscription_deactivate(actor=request.user, subscription_id=subscription_id)
        return Response(SubscriptionOutput(subscription).data)


class WebhookDeliveryListView(APIView):
    """A subscription's deliveries, newest first."""

    @extend_schema(responses=DeliveryOutput(many=True), parameters=PAGING_PARAMETERS)
    def get(self, request, subscription_id: int):
        paginator = LinkHeaderPagination()
        queryset = selectors.deliveries_for_subscription(user=request.user, subscription_id=subscription_id)
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(DeliveryOutput(page, many=True).data)


class WebhookRedeliverView(APIView):
    """Send a dead (or delivered) delivery again, with the same delivery id."""

    @extend_schema(request=None, responses={202: DeliveryOutput})
    def post(self, request, delivery_id: int):
        delivery = services.webhook_redeliver(delivery_id=delivery_id, actor=request.user)
        return Response(DeliveryOutput(delivery).data, status=status.HTTP_202_ACCEPTED)


class InboundHookView(APIView):
    """Start a case from a signed inbound webhook. The signature is the authentication:
    X-WMS-Delivery, X-WMS-Timestamp and X-WMS-Signature (sha256=<hex HMAC-SHA256, keyed with the
    endpoint's secret, of "{delivery}.{timestamp}.{raw body}">). A delivery id or a signature
    accepted once is a replay (409); a signature over "{timestamp}.{raw body}" only (the first
    scheme) is refused (401) saying so; a body nested too deep is 400. Every call is logged."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [InboundHookThrottle]  # senders are machines: their own, higher rate

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        responses={202: InboundAcceptedOutput},
        parameters=[
            OpenApiParameter(
                "X-WMS-Timestamp", str, OpenApiParameter.HEADER, description="Unix seconds, within 5 minutes."
            ),
            OpenApiParameter(
                "X-WMS-Signature",
                str,
                OpenApiParameter.HEADER,
                description='sha256=<hex HMAC of "{delivery}.{timestamp}.{body}">.',
            ),
            OpenApiParameter(
                "X-WMS-Delivery",
                str,
                OpenApiParameter.HEADER,
                description="The sender's delivery id (at most 100 characters): signed, and accepted once.",
            ),
        ],
    )
    def post(self, request, endpoint: str):
        code, body = inbound.inbound_receive(
            slug=endpoint,
            body=request.body,
            headers=dict(request.headers),
            remote_addr=request.META.get("REMOTE_ADDR"),
        )
        answer = InboundAcceptedOutput if code == status.HTTP_202_ACCEPTED else ErrorSerializer
        return Response(answer(body).data, status=code)
