from django.urls import path

from . import views

app_name = "demo"

urlpatterns = [
    path("erp/", views.console, name="erp"),
    path("erp/mode/", views.mode_set, name="erp-mode"),
    path("erp/invoices", views.invoice_book, name="erp-invoices"),
    path("erp/invoices/", views.invoice_book),
    path("erp/invoices/<str:reference>", views.invoice_cancel, name="erp-invoice"),
    path("erp/invoices/<str:reference>/", views.invoice_cancel),
    path("erp/access/revocations", views.access_revoke, name="erp-access-revoke"),
]
