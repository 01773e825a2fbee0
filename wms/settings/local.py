"""Development on one machine: embedded SQLite, ORM broker, console email."""

import os

from .base import *
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-change-me"
ALLOWED_HOSTS = ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]"]

# The demo ERP (apps/demo) answers the invoice-processing workflow's calls on this very server.
WMS_DEMO_ERP = env_bool("WMS_DEMO_ERP", True)
WMS_ENDPOINTS.setdefault("ERP", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/demo/erp")
WMS_SECRETS.setdefault("ERP_TOKEN", "demo-erp-token")
# And the demo ticketing system the it-service-request workflow opens its tickets in.
WMS_ENDPOINTS.setdefault("TICKETING", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/demo/tickets/api")
WMS_SECRETS.setdefault("TICKETING_TOKEN", "demo-ticketing-token")
# And the demo supplier portal (a legacy web tool with no API) that `ui` steps sign in to.
WMS_ENDPOINTS.setdefault("SUPPLIER_PORTAL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/demo/supplier/portal")
WMS_SECRETS.setdefault("SUPPLIER_PORTAL_USER", "buyer")
WMS_SECRETS.setdefault("SUPPLIER_PORTAL_PASSWORD", "demo-supplier-password")

# Development webhooks may reach receivers on this machine (production leaves the allow-list empty:
# subscriptions and literal step URLs reach public addresses only).
WMS_OUTBOUND_ALLOWED_HOSTS = WMS_OUTBOUND_ALLOWED_HOSTS or ["127.0.0.0/8", "::1/128"]

# WhiteNoise serves static files straight from the apps and static/ (no collectstatic in development),
# with DEBUG on or off.
WHITENOISE_USE_FINDERS = True
