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

# SQLite: a test database in a file (not in memory), so a real `manage.py qcluster` started by a
# test (tests/steps/test_worker_killed.py) can share it. Per run; Django deletes it at the end.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        "NAME", os.path.join(tempfile.gettempdir(), f"wms-test-{os.getpid()}.sqlite3")
    )

# WMS_Q2_SYNC=0: a real cluster against the test database (one worker, quick polling), for tests
# that run `manage.py qcluster` in a subprocess. Tests themselves run tasks inline.
# WMS_Q2_GUARD_CYCLE: seconds between the cluster's guard rounds (q2's default 0.5). q2 looks for due
# schedules once its rounds add up to 30 s, so a test that waits for the schedules sets 30: the
# first round looks at once (tests/ops/test_worker_stopped.py).
if not env_bool("WMS_Q2_SYNC", True):
    Q_CLUSTER = {
        **Q_CLUSTER,
        "sync": False,
        "workers": 1,
        "poll": 0.1,
        "guard_cycle": float(os.environ.get("WMS_Q2_GUARD_CYCLE", "0.5")),
    }

# The demo ERP's defaults, as in development; tests that call another server override them.
WMS_DEMO_ERP = True
WMS_ENDPOINTS = {
    **WMS_ENDPOINTS,
    "ERP": WMS_ENDPOINTS.get("ERP", "http://127.0.0.1:8000/demo/erp"),
    "TICKETING": WMS_ENDPOINTS.get("TICKETING", "http://127.0.0.1:8000/demo/tickets/api"),
    "SUPPLIER_PORTAL": WMS_ENDPOINTS.get("SUPPLIER_PORTAL", "http://127.0.0.1:8000/demo/supplier/portal"),
}
WMS_SECRETS = {
    **WMS_SECRETS,
    "ERP_TOKEN": WMS_SECRETS.get("ERP_TOKEN", "demo-erp-token"),
    "TICKETING_TOKEN": WMS_SECRETS.get("TICKETING_TOKEN", "demo-ticketing-token"),
    "SUPPLIER_PORTAL_USER": WMS_SECRETS.get("SUPPLIER_PORTAL_USER", "buyer"),
    "SUPPLIER_PORTAL_PASSWORD": WMS_SECRETS.get("SUPPLIER_PORTAL_PASSWORD", "demo-supplier-password"),
}

# --- Abuse limits in tests -------------------------------------------------------------------------
# Django's test client login() calls authenticate() without a request, which axes refuses with an
# error; this backend skips the lockout check for such calls (tests only; the lockout tests sign in
# through real requests). Throttle rates are high so the suite's own traffic is never refused; the
# throttle tests lower them (tests/api/test_throttle.py).
AUTHENTICATION_BACKENDS = [
    "apps.core.auth_guard.RequestOptionalLockoutBackend" if b == "axes.backends.AxesStandaloneBackend" else b
    for b in AUTHENTICATION_BACKENDS
]
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {scope: "100000/min" for scope in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]},
}

# Outbound address rule (apps.core.netguard): pytest-httpserver listens on localhost, so tests let
# loopback through explicitly; tests of the rule itself override this with [].
WMS_OUTBOUND_ALLOWED_HOSTS = ["127.0.0.0/8", "::1/128"]

# --- Production server in tests --------------------------------------------------------------------
# Django's plain static storage (no manifest: tests never run collectstatic) and no STATIC_ROOT, so
# WhiteNoise does not warn about a missing directory; tests/test_static_files.py runs the production
# storage against a collected tree of its own.
STATIC_ROOT = None
# --- end of production server in tests -------------------------------------------------------------
