from apps.core.errors import NotAllowed

from .models import DemoTicket, ErpCall, ErpInvoice, ErpMode, ErpSettings, TicketDeskMode, TicketDeskSettings
from .policy import user_can_drive_erp

MSG_NOT_ALLOWED = "Only operators, integrators and administrators can see the demo ERP."
LOG_SIZE = 50


def erp_mode_get() -> str:
    return ErpSettings.objects.filter(pk=1).values_list("mode", flat=True).first() or ErpMode.OK


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
    return TicketDeskSettings.objects.filter(pk=1).values_list("mode", flat=True).first() or TicketDeskMode.OK


def ticket_desk_console(*, user) -> dict:
    """What the demo ticketing system's page shows: its mode and its latest tickets."""
    if not user_can_drive_erp(user=user):
        raise NotAllowed(MSG_NOT_ALLOWED)
    return {
        "desk_settings": TicketDeskSettings.objects.filter(pk=1).select_related("changed_by").first(),
        "mode": ticket_desk_mode_get(),
        "tickets": DemoTicket.objects.all()[:LOG_SIZE],
    }
