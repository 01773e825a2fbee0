"""The demo supplier portal's pages (what a `ui` step drives: login, search, order entry) and the
operators' console that switches its mode and shows the orders it took.

The portal has its own login, kept under its own session key: signing in to the WMS does not
sign in to the portal, and the other way round, as with any third-party tool."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps.core.errors import ValidationFailed
from apps.portal.errors import map_service_errors, portal_errors

from . import selectors, supplier
from .models import SupplierPortalMode
from .views import mode_switch

SESSION_KEY = "demo_supplier_portal_user"
LOGIN_FIELDS = ("username", "password")
MODE_EFFECTS = {
    SupplierPortalMode.OK: "The portal takes orders as a buyer would type them: a UI step signs in, searches the "
    "PO number (its guard), enters the order and reads back the supplier's order number.",
    SupplierPortalMode.CHANGED: "The order form's PO number field is renamed (#purchase-order instead of "
    "#po-number), as after a vendor's upgrade: a UI step that fills #po-number fails with “Page changed” and "
    "the case goes straight to the exception queue, with a screenshot of the page.",
    SupplierPortalMode.SLOW: "Every portal page answers only after {seconds:g} s, longer than a UI step waits "
    "for a page: the step times out, retries with backoff, then goes to the exception queue as “timeout”.",
}


def _portal_page(*, signed_in: bool = True):
    """A portal page: the mode's delay first; then, unless it is the login page, the portal's own
    sign-in (not the WMS's). Service refusals are mapped like any page's."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            mode = selectors.supplier_mode_get()
            supplier.supplier_misbehave(mode=mode)
            buyer = request.session.get(SESSION_KEY, "")
            if signed_in and not buyer:
                return redirect("demo:supplier-login")
            return view(request, *args, mode=mode, buyer=buyer, **kwargs)

        return map_service_errors(wrapper)

    return decorate


@_portal_page(signed_in=False)
@require_http_methods(["GET", "POST"])
def portal_login(request, *, mode, buyer):
    if request.method == "GET":
        return render(request, "demo/supplier/login.html", {"buyer": buyer})
    username, password = (request.POST.get(name, "") for name in LOGIN_FIELDS)
    if not supplier.supplier_login_check(username=username, password=password):
        return render(request, "demo/supplier/login.html", {"failed": True, "username": username[:150]})
    request.session.cycle_key()  # NOTE: a new session id at sign-in (no fixation); the WMS sign-in, if any, stays
    request.session[SESSION_KEY] = username
    return redirect("demo:supplier-portal")


@_portal_page()
@require_POST
def portal_logout(request, *, mode, buyer):
    request.session.pop(SESSION_KEY, None)
    return redirect("demo:supplier-login")


@_portal_page()
@require_http_methods(["GET"])
def portal_home(request, *, mode, buyer):
    """The orders page: a search by PO number (what a UI step's guard looks up)."""
    query = request.GET.get("q", "").strip()[: supplier.SEARCH_MAX]
    results = selectors.supplier_orders_search(po_number=query) if query else None
    return render(request, "demo/supplier/home.html", {"buyer": buyer, "query": query, "results": results})


@_portal_page()
@require_http_methods(["GET", "POST"])
def portal_order_new(request, *, mode, buyer):
    """The order entry form; in mode "changed" its PO number field has another id and name."""
    po_name = "purchase_order" if mode == SupplierPortalMode.CHANGED else "po_number"
    context = {"buyer": buyer, "po_name": po_name, "currencies": supplier.CURRENCIES, "values": {}, "errors": {}}
    if request.method == "POST":
        values = {
            "po_number": request.POST.get(po_name, ""),
            "amount": request.POST.get("amount", ""),
            "currency": request.POST.get("currency", ""),
            "note": request.POST.get("note", ""),
        }
        try:
            order = supplier.supplier_order_enter(**values, entered_by=buyer, mode=mode)
        except ValidationFailed as invalid:
            context |= {"values": values, "errors": {k: v[0] for k, v in invalid.field_errors.items()}}
            return render(request, "demo/supplier/order_form.html", context, status=400)
        return redirect("demo:supplier-order", number=order.number)
    return render(request, "demo/supplier/order_form.html", context)


@_portal_page()
@require_http_methods(["GET"])
def portal_order(request, number, *, mode, buyer):
    order = selectors.supplier_order_get(number=number)
    if order is None:
        raise Http404(f"No order {number[:50]}.")
    return render(request, "demo/supplier/order_saved.html", {"buyer": buyer, "order": order})


# --- the operators' console --------------------------------------------------------------------------


@portal_errors
@require_http_methods(["GET"])
def console(request):
    context = selectors.supplier_console(user=request.user)
    modes = [
        {"value": m.value, "label": m.label, "effect": MODE_EFFECTS[m].format(seconds=supplier.slow_seconds())}
        for m in SupplierPortalMode
    ]
    endpoint = (getattr(settings, "WMS_ENDPOINTS", {}) or {}).get("SUPPLIER_PORTAL", "")
    context |= {"modes": modes, "endpoint": endpoint, "portal_user": supplier.portal_user()}
    return render(request, "demo/supplier.html", context)


@portal_errors
@require_POST
def mode_set(request):
    return mode_switch(request, switch=supplier.supplier_mode_set, done=supplier.MSG_MODE_SET, console="demo:supplier")


@portal_errors
@require_POST
def orders_clear(request):
    count = supplier.supplier_orders_clear(actor=request.user)
    messages.success(request, supplier.MSG_CLEARED.format(count=count))
    return redirect("demo:supplier")
