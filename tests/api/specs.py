"""Workflow specs the API tests publish: an invoice whose one step calls an ERP once."""

ERP_STEP = {
    "key": "erp_check",
    "name": "Validate in ERP",
    "type": "http",
    "system": "ERP",
    "request": {"method": "POST", "url": "{{endpoint.ERP}}/invoices", "body": {"vendor": "{{field.vendor}}"}},
    "timeout_seconds": 1,
    "retry": {"attempts": 1},
}
INVOICE_FIELDS = [{"name": "vendor", "type": "text", "label": "Vendor", "required": True}]
