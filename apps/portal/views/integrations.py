"""Portal pages: webhook subscriptions (integrators), their deliveries and the dead letters (operators).
Inbound endpoints have their own module (inbound.py)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from apps.core.errors import Conflict, NotAllowed, ValidationFailed
from apps.integrations import selectors, services
from apps.integrations.models import EVENTS
from apps.integrations.policy import user_can_manage_webhooks

from ..errors import portal_errors
from ..pages import paginate

MSG_SAVED = "Subscription {name} saved."
MSG_DEACTIVATED = "Subscription {name} deactivated: nothing more is sent to it."
MSG_REDELIVER_QUEUED = "Delivery {delivery} queued again."


@portal_errors
def subscription_list(request):
    return render(
        request,
        "integrations/list.html",
        {
            "subscriptions": selectors.subscriptions_list(user=request.user),
            "can_manage": user_can_manage_webhooks(user=request.user),
        },
    )


def _form_values(request) -> dict:
    return {
        "name": request.POST.get("name", ""),
        "url": request.POST.get("url", ""),
        "events": request.POST.getlist("events"),
        "is_active": request.POST.get("is_active") == "on",
    }


def _secret_key(subscription_id: int) -> str:
    return f"webhook-secret:{subscription_id}"


@portal_errors
def subscription_created(request, subscription_id):
    """The new subscription's signing secret, shown once (see subscription_create)."""
    if not user_can_manage_webhooks(user=request.user):
        raise NotAllowed(services.MSG_MANAGE_NOT_ALLOWED)
    subscription = selectors.subscription_get(user=request.user, subscription_id=subscription_id)
    secret = request.session.pop(_secret_key(subscription.pk), None)
    return render(request, "integrations/created.html", {"subscription": subscription, "secret": secret})


@portal_errors
@require_POST
def subscription_test(request, subscription_id):
    """Send the subscription a signed "ping" now; it shows in the deliveries below."""
    try:
        services.subscription_test_send(subscription_id=subscription_id, actor=request.user)
    except Conflict as conflict:
        messages.warning(request, conflict.message)
    else:
        messages.success(request, "Test event sent: its delivery shows below (refresh to see the answer).")
    return redirect("integrations:detail", subscription_id)


@portal_errors
def subscription_create(request):
    if not user_can_manage_webhooks(user=request.user):
        raise NotAllowed(services.MSG_MANAGE_NOT_ALLOWED)
    values, errors = {"name": "", "url": "", "events": [], "is_active": True}, {}
    if request.method == "POST":
        values = _form_values(request)
        try:
            subscription = services.subscription_create(
                actor=request.user, secret=request.POST.get("secret", ""), **values
            )
        except ValidationFailed as invalid:
            errors = invalid.field_errors
        else:
            # NOTE: the secret rides in the session to the page the browser is sent to, which shows
            # it once: a reload of that page shows it no more and cannot create a second one.
            request.session[_secret_key(subscription.pk)] = subscription.secret
            return redirect("integrations:created", subscription.pk)
    return render(request, "integrations/form.html", {"values": values, "errors": errors, "events": EVENTS})


@portal_errors
def subscription_edit(request, subscription_id):
    subscription = selectors.subscription_get(user=request.user, subscription_id=subscription_id, manage=True)
    values = {k: getattr(subscription, k) for k in ("name", "url", "events", "is_active")}
    errors = {}
    if request.method == "POST":
        values = _form_values(request)
        try:
            subscription = services.subscription_update(actor=request.user, subscription_id=subscription.pk, **values)
        except ValidationFailed as invalid:
            errors = invalid.field_errors
        else:
            messages.success(request, MSG_SAVED.format(name=subscription.name))
            return redirect("integrations:detail", subscription.pk)
    return render(
        request,
        "integrations/form.html",
        {"subscription": subscription, "values": values, "errors": errors, "events": EVENTS},
    )


@portal_errors
@require_POST
def subscription_deactivate(request, subscription_id):
    subscription = services.subscription_deactivate(actor=request.user, subscription_id=subscription_id)
    messages.success(request, MSG_DEACTIVATED.format(name=subscription.name))
    return HttpResponseClientRefresh() if request.htmx else redirect("integrations:detail", subscription.pk)


@portal_errors
def subscription_detail(request, subscription_id):
    """A subscription and its delivery history."""
    subscription = selectors.subscription_get(user=request.user, subscription_id=subscription_id)
    deliveries = selectors.deliveries_for_subscription(user=request.user, subscription_id=subscription.pk)
    return render(
        request,
        "integrations/detail.html",
        {
            "subscription": subscription,
            "page": paginate(request, deliveries),
            "can_manage": user_can_manage_webhooks(user=request.user),
        },
    )


@portal_errors
def dead_letters(request):
    return render(
        request,
        "integrations/dead_letters.html",
        {"page": paginate(request, selectors.dead_deliveries(user=request.user))},
    )


@portal_errors
@require_POST
def delivery_redeliver(request, delivery_id):
    try:
        services.webhook_redeliver(delivery_id=delivery_id, actor=request.user)
    except Conflict as conflict:
        messages.warning(request, conflict.message)
        return HttpResponseClientRefresh() if request.htmx else redirect("integrations:dead-letters")
    # Sent after commit (at once in tests, by a worker otherwise): show the row as it is now.
    delivery = selectors.delivery_get(user=request.user, delivery_id=delivery_id)
    if request.htmx:
        return render(request, "integrations/_delivery_row.html", {"delivery": delivery, "show_subscription": True})
    messages.success(request, MSG_REDELIVER_QUEUED.format(delivery=delivery.delivery_id))
    return redirect("integrations:dead-letters")
