"""Reads about webhooks, for the people allowed to see them."""

from django.db.models import Count, Q, QuerySet

from apps.core.errors import NotAllowed, NotFound
from apps.definitions.accessors import spec_of
from apps.definitions.selectors import definitions_published

from .endpoints import MSG_NOT_FOUND as MSG_ENDPOINT_NOT_FOUND
from .models import DeliveryStatus, InboundDelivery, InboundEndpoint, WebhookDelivery, WebhookSubscription
from .policy import user_can_manage_webhooks, user_can_watch_deliveries
from .services import MSG_DELIVERY_NOT_FOUND, MSG_MANAGE_NOT_ALLOWED, MSG_NOT_FOUND, MSG_WATCH_NOT_ALLOWED


def subscriptions_list(*, user) -> QuerySet[WebhookSubscription]:
    """Every subscription with its count of dead deliveries, active first, by name."""
    if not user_can_watch_deliveries(user=user):
        raise NotAllowed(MSG_WATCH_NOT_ALLOWED)
    return WebhookSubscription.objects.annotate(
        dead_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DEAD))
    ).order_by("-is_active", "name", "pk")


def subscription_get(*, user, subscription_id: int, manage: bool = False) -> WebhookSubscription:
    allowed = user_can_manage_webhooks(user=user) if manage else user_can_watch_deliveries(user=user)
    if not allowed:
        raise NotAllowed(MSG_MANAGE_NOT_ALLOWED if manage else MSG_WATCH_NOT_ALLOWED)
    subscription = WebhookSubscription.objects.filter(pk=subscription_id).first()
    if subscription is None:
        raise NotFound(MSG_NOT_FOUND)
    return subscription


def deliveries_for_subscription(*, user, subscription_id: int) -> QuerySet[WebhookDelivery]:
    """A subscription's deliveries, newest first."""
    subscription_get(user=user, subscription_id=subscription_id)
    return WebhookDelivery.objects.filter(subscription_id=subscription_id).order_by("-created", "-pk")


def dead_deliveries(*, user) -> QuerySet[WebhookDelivery]:
    """The dead-letter list: deliveries given up or refused, newest first."""
    if not user_can_watch_deliveries(user=user):
        raise NotAllowed(MSG_WATCH_NOT_ALLOWED)
    return (
        WebhookDelivery.objects.filter(status=DeliveryStatus.DEAD)
        .select_related("subscription")
        .order_by("-created", "-pk")
    )


def delivery_get(*, user, delivery_id: int) -> WebhookDelivery:
    if not user_can_watch_deliveries(user=user):
        raise NotAllowed(MSG_WATCH_NOT_ALLOWED)
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound(MSG_DELIVERY_NOT_FOUND)
    return delivery


def inbound_endpoints(*, user) -> QuerySet[InboundEndpoint]:
    """Inbound endpoints with their refused calls counted, so a sender's trouble shows at a glance."""
    if not user_can_watch_deliveries(user=user):
        raise NotAllowed(MSG_WATCH_NOT_ALLOWED)
    return (
        InboundEndpoint.objects.select_related("run_as")
        .annotate(
            accepted_count=Count("deliveries", filter=Q(deliveries__accepted=True)),
            refused_count=Count("deliveries", filter=Q(deliveries__accepted=False)),
        )
        .order_by("slug")
    )


def inbound_calls(*, user, refused_only: bool = False) -> QuerySet[InboundDelivery]:
    """Every inbound call, accepted or refused and why, newest first (unknown endpoints included)."""
    if not user_can_watch_deliveries(user=user):
        raise NotAllowed(MSG_WATCH_NOT_ALLOWED)
    calls = InboundDelivery.objects.select_related("endpoint").order_by("-received", "-pk")
    return calls.filter(accepted=False) if refused_only else calls


def inbound_endpoint_get(*, user, endpoint_id: int | None = None, slug: str | None = None) -> InboundEndpoint:
    """One endpoint, by id or slug, for those who manage endpoints."""
    if not user_can_manage_webhooks(user=user):
        raise NotAllowed(MSG_MANAGE_NOT_ALLOWED)
    found = InboundEndpoint.objects.select_related("run_as")
    endpoint = (found.filter(pk=endpoint_id) if endpoint_id is not None else found.filter(slug=slug or "")).first()
    if endpoint is None:
        raise NotFound(MSG_ENDPOINT_NOT_FOUND)
    return endpoint


def inbound_workflow_choices() -> list[dict]:
    """What an endpoint may act on: each published workflow (key, name) with the keys and names
    of the wait steps of its live version, which a callback endpoint completes."""
    return [
        {
            "key": version.definition.key,
            "name": version.definition.name,
            "waits": [{"key": s.key, "name": s.name} for s in spec_of(version).stages if s.is_wait],
        }
        for version in definitions_published()
    ]
