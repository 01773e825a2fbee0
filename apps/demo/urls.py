from django.urls import path

from . import supplier_views, views

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
    # The supplier portal: the operators' console, and the legacy portal's own pages (its own login).
    path("supplier/", supplier_views.console, name="supplier"),
    path("supplier/mode/", supplier_views.mode_set, name="supplier-mode"),
    path("supplier/orders/clear/", supplier_views.orders_clear, name="supplier-clear"),
    path("supplier/portal/", supplier_views.portal_home, name="supplier-portal"),
    path("supplier/portal/login/", supplier_views.portal_login, name="supplier-login"),
    path("supplier/portal/logout/", supplier_views.portal_logout, name="supplier-logout"),
    path("supplier/portal/orders/new/", supplier_views.portal_order_new, name="supplier-order-new"),
    path("supplier/portal/orders/<str:number>/", supplier_views.portal_order, name="supplier-order"),
]
