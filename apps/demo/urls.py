from django.urls import path

from . import views

app_name = "demo"

urlpatterns = [
    path("erp/", views.console, name="erp"),
    path("erp/mode/", views.mode_set, name="erp-mode"),
    path("erp/invoices", views.invoice_book, name="erp-invoices"),
    path("erp/invoices/", views.invoice_book),
    path("erp/reports", views.report_extract, name="erp-reports"),
    path("erp/reports/", views.report_extract),
    path("erp/invoices/<str:reference>", views.invoice_cancel, name="erp-invoice"),
    path("erp/invoices/<str:reference>/", views.invoice_cancel),
    path("erp/access/revocations", views.access_revoke, name="erp-access-revoke"),
    path("erp/policy-exceptions/ends", views.exception_end, name="erp-exception-end"),
    path("tickets/", views.tickets_console, name="tickets"),
    path("tickets/mode/", views.tickets_mode_set, name="tickets-mode"),
    path("tickets/api/tickets", views.ticket_open, name="tickets-open"),
    path("tickets/api/tickets/", views.ticket_open),
    path("tickets/api/tickets/<str:number>", views.ticket_close, name="tickets-close"),
    path("tickets/api/tickets/<str:number>/", views.ticket_close),
]
