"""The invoice template's optional UI step: entering the approved order in a supplier's web portal."""

# The invoice's optional UI step (issue 16): the supplier portal has no API, so a script signs in,
# looks first whether the order is there already (its guard: a retry after a crash must not enter
# it twice), enters it and reads back the supplier's order number. The demo's supplier portal
# (/demo/supplier/, apps.demo) is such a portal; WMS_ENDPOINTS["SUPPLIER_PORTAL"] says where it is.
SUPPLIER_PORTAL_LOGIN = [
    {"do": "goto", "url": "{{endpoint.SUPPLIER_PORTAL}}/login/"},
    {"do": "fill", "selector": "#username", "value": "{{secret.SUPPLIER_PORTAL_USER}}"},
    {"do": "fill", "selector": "#password", "value": "{{secret.SUPPLIER_PORTAL_PASSWORD}}"},
    {"do": "click", "selector": "button[type=submit]"},
]
SUPPLIER_PORTAL_STEP = {
    "key": "enter_order",
    "name": "Enter the order in the supplier portal",
    "type": "ui",
    "system": "Supplier portal",
    "when": {"all": [{"field": "enter_in_supplier_portal", "op": "=", "value": True}]},
    "timeout_seconds": 15,
    "retry": {"attempts": 3, "backoff_seconds": 30, "max_backoff_seconds": 600},
    "on_failure": "exception_queue",
    "guard": {
        "script": [
            *SUPPLIER_PORTAL_LOGIN,
            {"do": "expect_text", "selector": "h1", "text": "Orders", "login": True},
            {"do": "wait_for", "selector": "#search"},
            {"do": "goto", "url": "{{endpoint.SUPPLIER_PORTAL}}/?q={{field.po_number}}"},
            {"do": "wait_for", "selector": "#results"},
        ],
        "found": 'td.po-number:text-is("{{field.po_number}}")',
        "extract": {"supplier_order_number": "td.order-number"},
    },
    "script": [
        {"do": "goto", "url": "{{endpoint.SUPPLIER_PORTAL}}/orders/new/"},
        {"do": "fill", "selector": "#po-number", "value": "{{field.po_number}}"},
        {"do": "fill", "selector": "#amount", "value": "{{field.amount}}"},
        {"do": "select", "selector": "#currency", "value": "{{field.currency}}"},
        {"do": "fill", "selector": "#note", "value": "Invoice {{field.invoice_number}} of {{field.vendor}}"},
        {"do": "click", "selector": "#save"},
        {"do": "expect_text", "selector": "h1", "text": "Order saved"},
        {"do": "extract", "selector": "#order-number", "field": "supplier_order_number"},
        {"do": "screenshot", "name": "order entered"},
    ],
}
