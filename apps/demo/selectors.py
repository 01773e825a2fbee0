from apps.core.errors import NotAllowed

from .models import (
    DemoTicket,
    ErpCall,
    ErpInvoice,
    ErpMode,
    ErpSettings,
    SupplierOrder,
    SupplierPortalMode,
    SupplierPortalSettings,
    TicketDeskMode,
    TicketDeskSettings,
)
from .policy import user_can_drive_erp

MSG_NOT_ALLOWED = "Only operators, integrators and administrators can see the demo ERP."
MSG_SUPPLIER_NOT_ALLOWED = (
    "Only operators, integrators and administrators can see the console of the demo supplier portal."
)
LOG_SIZE = 50


def demo_mode_get(switch, default: str) -> str:
    """The mode one of the demo's simulated systems is in (its DemoSwitch row), `default` unset."""
    return switch.objects.filter(pk=1).values_list("mode", flat=True).first() or default


def erp_mode_get() -> str:
    return demo_mode_get(ErpSettings, ErpMode.OK)


def erp_console(*, user) -> dict:
    """What the demo ERP's page shows: its mode, its invoices and its latest calls."""
    if not user_can_drive_erp(user=user):
        raise NotAllowed(MSG_NOT_ALLOWED)
    return {
        "erp_settings": ErpSettings.objects.filter(pk=1).select_related("changed_by").first(),
        "mode": erp_mode_get(),
        "invoices": ErpInvoice.objects.all()[:LOG_SIZE],
        "calls": ErpCall.objects.all()[:LOG_SIZE],
    }


def ticket_desk_mode_get() -> str:
    return demo_mode_get(TicketDeskSettings, TicketDeskMode.OK)


def ticket_desk_console(*, user) -> dict:
    """What the demo ticketing system's page shows: its mode and its latest tickets."""
    if not user_can_drive_erp(user=user):
        raise NotAllowed(MSG_NOT_ALLOWED)
    return {
        "desk_settings": TicketDeskSettings.objects.filter(pk=1).select_related("changed_by").first(),
        "mode": ticket_desk_mode_get(),
        "tickets": DemoTicket.objects.all()[:LOG_SIZE],
    }


def supplier_mode_get() -> str:
    return demo_mode_get(SupplierPortalSettings, SupplierPortalMode.OK)


def supplier_console(*, user) -> dict:
    """What the supplier portal's console shows: its mode and the orders typed into it."""
    if not user_can_drive_erp(user=user):
        raise NotAllowed(MSG_SUPPLIER_NOT_ALLOWED)
    return {
        "portal_settings": SupplierPortalSettings.objects.filter(pk=1).select_related("changed_by").first(),
        "mode": supplier_mode_get(),
        "orders": SupplierOrder.objects.all()[:LOG_SIZE],
        "order_count": SupplierOrder.objects.count(),
    }


def supplier_orders_search(*, po_number: str) -> list[SupplierOrder]:
    """The portal's orders with exactly this PO number (any case), newest first: duplicates show."""
    wanted = po_number.strip()[:50]
    return list(SupplierOrder.objects.filter(po_number__iexact=wanted)[:LOG_SIZE]) if wanted else []


def supplier_order_get(*, number: str) -> SupplierOrder | None:
    digits = number.removeprefix("SO-")
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 12):
        return None
    return SupplierOrder.objects.filter(pk=int(digits)).first()
