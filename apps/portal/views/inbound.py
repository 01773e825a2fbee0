"""Portal pages: inbound endpoints. Operators watch the calls; integrators and administrators
create endpoints, rotate their secrets, deactivate and reactivate them (apps.integrations.endpoints,
the services `manage.py inbound_endpoint` uses too)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from apps.core.errors import NotAllowed, ValidationFailed
from apps.integrations import endpoints, selectors, services
from apps.integrations.models import InboundAction
from apps.integrations.policy import user_can_manage_webhooks

from ..errors import portal_errors
from ..pages import paginate

MSG_ROTATED = "Endpoint {name} has a new secret; the old one no longer works."
MSG_DEACTIVATED = "Endpoint {name} deactivated: every call to it is refused."
MSG_ACTIVATED = "Endpoint {name} active again: it takes calls signed with its secret."

FIELDS = ("name", "slug", "action", "workflow", "step", "case_path", "run_as", "field_map")


@portal_errors
def inbound(request):
    """Inbound endpoints and every call they received, with the reason a call was refused."""
    refused_only = request.GET.get("show") == "refused"
    return render(
        request,
        "integrations/inbound.html",
        {
            "endpoints": selectors.inbound_endpoints(user=request.user),
            "page": paginate(request, selectors.inbound_calls(user=request.user, refused_only=refused_only)),
            "refused_only": refused_only,
            "can_manage": user_can_manage_webhooks(user=request.user),
        },
    )


def _may_manage(request) -> None:
    if not user_can_manage_webhooks(user=request.user):
        raise NotAllowed(services.MSG_MANAGE_NOT_ALLOWED)


def _secret_key(endpoint_id: int) -> str:
    return f"inbound-secret:{endpoint_id}"


@portal_errors
def endpoint_create(request):
    _may_manage(request)
    values = {"action": InboundAction.START_CASE, "case_path": "case_id"}
    errors, status = {}, 200
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in FIELDS}
        try:
            endpoint = _create(request, values)
        except ValidationFailed as invalid:
            errors, status = invalid.field_errors, 400
        else:
            # NOTE: as for subscriptions, the secret rides in the session to the page the browser
            # is sent to, which shows it once: a reload shows it no more and creates nothing.
            request.session[_secret_key(endpoint.pk)] = endpoint.secret
            return redirect("integrations:inbound-created", endpoint.pk)
    context = {
        "values": values,
        "errors": errors,
        "actions": InboundAction.choices,
        "workflows": selectors.inbound_workflow_choices(),
    }
    return render(request, "integrations/inbound_form.html", context, status=status)


def _create(request, values: dict):
    """Create from the form, naming every bad field at once (a malformed mapping line included)."""
    try:
        field_map, map_errors = endpoints.field_map_parse(values["field_map"].splitlines()), {}
    except ValidationFailed as invalid:
        field_map, map_errors = None, invalid.field_errors
    try:
        endpoint = endpoints.endpoint_create(
            actor=request.user,
            secret=request.POST.get("secret", ""),
            **{**values, "field_map": field_map},
        )
    except ValidationFailed as invalid:
        raise ValidationFailed(invalid.message, field_errors={**invalid.field_errors, **map_errors}) from None
    return endpoint


@never_cache  # the one page with the secret: no copy in a cache, nor on "back"
@portal_errors
def endpoint_secret(request, endpoint_id, rotated=False):
    """The endpoint's URL and its new secret, shown once (after creating or rotating)."""
    endpoint = selectors.inbound_endpoint_get(user=request.user, endpoint_id=endpoint_id)
    secret = request.session.pop(_secret_key(endpoint.pk), None)
    url = request.build_absolute_uri(reverse("api-inbound-hook", kwargs={"endpoint": endpoint.slug}))
    return render(
        request,
        "integrations/inbound_created.html",
        {"endpoint": endpoint, "secret": secret, "url": url, "rotated": rotated},
    )


@portal_errors
@require_POST
def endpoint_rotate(request, endpoint_id):
    endpoint = endpoints.endpoint_secret_rotate(actor=request.user, endpoint_id=endpoint_id)
    request.session[_secret_key(endpoint.pk)] = endpoint.secret
    messages.success(request, MSG_ROTATED.format(name=endpoint.name))
    return redirect("integrations:inbound-rotated", endpoint.pk)


@portal_errors
@require_POST
def endpoint_deactivate(request, endpoint_id):
    endpoint = endpoints.endpoint_deactivate(actor=request.user, endpoint_id=endpoint_id)
    messages.success(request, MSG_DEACTIVATED.format(name=endpoint.name))
    return redirect("integrations:inbound")


@portal_errors
@require_POST
def endpoint_activate(request, endpoint_id):
    endpoint = endpoints.endpoint_activate(actor=request.user, endpoint_id=endpoint_id)
    messages.success(request, MSG_ACTIVATED.format(name=endpoint.name))
    return redirect("integrations:inbound")
