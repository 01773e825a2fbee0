"""Test settings: fast hashing, in-memory email. DATABASE_URL still picks SQLite or PostgreSQL."""

from .base import *

DEBUG = False
SECRET_KEY = "test-only-key"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
LOGGING = {"version": 1, "disable_existing_loggers": False}

import tempfile  # noqa: E402

MEDIA_ROOT = tempfile.mkdtemp(prefix="wms-test-media-")

# The demo ERP's defaults, as in development; tests that call another server override them.
WMS_ENDPOINTS = {**WMS_ENDPOINTS, "ERP": WMS_ENDPOINTS.get("ERP", "http://127.0.0.1:8000/demo/erp")}
WMS_SECRETS = {**WMS_SECRETS, "ERP_TOKEN": WMS_SECRETS.get("ERP_TOKEN", "demo-erp-token")}
