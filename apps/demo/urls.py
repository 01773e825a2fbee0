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
]
