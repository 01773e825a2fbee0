"""Settings shared by every environment. Whatever differs comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "simple_history",
    "django_q",
    "django_htmx",
    "viewflow",
    "viewflow.workflow",
    # Sign-in lockout (apps.core.auth_guard); before our apps, so its receivers run first.
    "axes",
    "apps.core",
    "apps.org",
    "apps.audit",
    "apps.definitions",
    "apps.cases",
    "apps.api",
    "apps.portal",
    "apps.inbox",
    "apps.builder",
    "apps.sla",
    "apps.notify",
    "apps.automation",  # before integrations: its case_closed receiver (the undo calls) runs first
    "apps.integrations",
    "apps.demo",
    "apps.ops",
    "apps.metrics",
    "apps.alerts",
    "apps.evidence",
    "apps.schedules",
    "apps.dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Records the acting user on every simple-history row.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: turns a locked-out sign-in into the 429 page (apps.core.auth_guard.lockout_response).
    "axes.middleware.AxesMiddleware",
]
# NUL characters in paths, queries and portal forms are a 400 naming the parameter (PostgreSQL cannot
# store them, and raised a 500).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "apps.core.input_guard.RefuseNulMiddleware",
)
# Times on pages in the signed-in person's zone (the session remembers it from sign-in). After the
# NUL guard: reading the session of a request whose cookie holds a NUL fails on PostgreSQL.
MIDDLEWARE.insert(
    MIDDLEWARE.index("apps.core.input_guard.RefuseNulMiddleware") + 1,
    "apps.portal.middleware.TimeZoneMiddleware",
)

ROOT_URLCONF = "wms.urls"
WSGI_APPLICATION = "wms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.portal.context_processors.portal",
                "apps.notify.context_processors.notifications",
            ],
            # `moment` and `day` (one way to show a time, with its zone) in every template, unloaded.
            "builtins": ["apps.portal.templatetags.moments"],
        },
    },
]

# DATABASE_URL selects the database: the embedded SQLite file by default,
# postgres://user@host:port/name in production.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The metrics' covering indexes (`include=`: approval decisions, counted SLA clocks) are a
    # PostgreSQL optimisation; SQLite builds them without the extra columns, which is right for
    # the embedded default, so its warning would only greet every `make run`.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # NOTE: a flow lock waits at most this long for a concurrent action on the same case,
    # then the action fails with a retryable 409 instead of hanging a worker.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "options", f"-c lock_timeout={os.environ.get('DB_LOCK_TIMEOUT_MS', '10000')}"
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    # Writers queue for the file lock instead of failing at once ("database is locked").
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses every sign-in, right password or not, while the account or address is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.api.errors.exception_handler",
    # JSON bodies nested deeper than 64 levels or holding NUL are a 400, not a 500 (apps/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "apps.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "apps.api.pagination.LinkHeaderPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "WMS API",
    "DESCRIPTION": "Start cases, work tasks and read the audit trail of the workflow management system.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every operation's error answers (400/401/403/404/409/413/415/422/429), decided by one set of rules.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "apps.api.schema.document_errors"],
}

# django-q2: the ORM broker by default (no server needed); Redis when Q2_REDIS_URL is set.
Q_CLUSTER = {
    "name": "wms",
    "workers": int(os.environ.get("Q2_WORKERS", "2")),
    "timeout": 60,
    "retry": 120,
    "queue_limit": 50,
    "orm": "default",
    "catch_up": False,
}
# UI steps (a script in headless Chromium, seconds each) have a queue of their own, worked by a
# cluster started with Q_CLUSTER_NAME=ui (Procfile "ui-worker"): they never delay HTTP steps, SLA
# sweeps or notifications. WMS_UI_STEP_WORKERS processes, each with one browser (about 400-500 MB with
# its Chromium: bench/ui_steps.py).
WMS_UI_STEP_WORKERS = int(os.environ.get("WMS_UI_STEP_WORKERS", "1"))
# The longest one UI step run may take (its actions' timeouts are cut to fit).
WMS_UI_STEP_MAX_SECONDS = int(os.environ.get("WMS_UI_STEP_MAX_SECONDS", "300"))
WMS_UI_CHROMIUM = os.environ.get("WMS_UI_CHROMIUM", "/usr/bin/chromium")
Q_CLUSTER["ALT_CLUSTERS"] = {
    "ui": {
        "workers": WMS_UI_STEP_WORKERS,
        "timeout": WMS_UI_STEP_MAX_SECONDS + 60,
        "retry": WMS_UI_STEP_MAX_SECONDS + 180,
        "recycle": 200,  # a fresh process (and browser) now and then: Chromium grows
        "queue_limit": 10,
    }
}
if os.environ.get("Q2_REDIS_URL"):
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = os.environ["Q2_REDIS_URL"]

# Guardian: no anonymous user row; object permissions only for signed-in users.
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False

# Case attachments: size and type limits (checked on upload, never trusted from the client).
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
ATTACHMENT_EXTENSIONS = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# NOTE: a notification's row stays locked while its e-mail is sent: never wait forever on SMTP.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "15"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "wms@localhost")
# Outbound webhooks: a delivery row stays locked while it is posted, so never wait long on a receiver.
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "6"))

# Automated steps refer to credentials and base URLs by name, never by value:
# {{secret.ERP_TOKEN}} reads WMS_SECRET_ERP_TOKEN, {{endpoint.ERP}} reads WMS_ENDPOINT_ERP.
WMS_SECRETS = {k[len("WMS_SECRET_") :]: v for k, v in os.environ.items() if k.startswith("WMS_SECRET_")}
WMS_ENDPOINTS = {k[len("WMS_ENDPOINT_") :]: v for k, v in os.environ.items() if k.startswith("WMS_ENDPOINT_")}
# --- Outbound address rule (apps.core.netguard; README "Security") --------------------------------
# Webhook subscriptions and literal step URLs reach public addresses only (checked when saved and,
# resolved again, on every call). Host names or networks (CIDR) listed here are let through anyway:
# comma-separated, e.g. "127.0.0.0/8,::1/128" for a receiver on this machine in development. Empty
# in production. Cloud metadata addresses are never let through; {{endpoint.NAME}}s are trusted.
WMS_OUTBOUND_ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("WMS_OUTBOUND_ALLOWED_HOSTS", "").split(",") if h.strip()
]
# --- end of outbound address rule -----------------------------------------------------------------
# The simulated ERP of the live demo (/demo/erp/, apps/demo): on in development, off unless asked
# for elsewhere, so a production ERP token is never accepted by a stand-in.
WMS_DEMO_ERP = env_bool("WMS_DEMO_ERP", False)
# Its supplier portal (/demo/supplier/, the `ui` step's legacy web tool) in mode "slow" answers every
# page after this many seconds: longer than a UI step waits for a page, so the step times out.
WMS_DEMO_SUPPLIER_SLOW_SECONDS = float(os.environ.get("WMS_DEMO_SUPPLIER_SLOW_SECONDS", "25"))

# Where people open the portal; e-mails link to it.
PORTAL_URL = os.environ.get("PORTAL_URL", "http://localhost:8000")

# --- Abuse limits: sign-in lockout and API throttles (README "Security") ---------------------------
# Behind reverse proxies, how many of them append to X-Forwarded-For: the caller's address is read
# that many hops from the right (a client cannot choose it). 0: REMOTE_ADDR, no proxy trusted.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# django-axes (apps.core.auth_guard): counts live in the database, so they hold across processes.
# Failed sign-ins (portal, admin, API token) within the cool-off lock the account after
# LOGIN_FAILURES_PER_USER from anywhere, and the address after LOGIN_FAILURES_PER_ADDRESS for any accounts.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURES_PER_USER", "10"))
LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "30"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "apps.core.auth_guard.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "apps.core.auth_guard.client_address"
AXES_LOCKOUT_CALLABLE = "apps.core.auth_guard.lockout_response"
AXES_RESET_ON_SUCCESS = True  # a good sign-in forgives that account's own failures
# Attempts during a lockout do not extend it: "try again in N minutes" holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False
# DRF throttles (apps.api.throttles): 429 with Retry-After. Counters live in the default cache.
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["apps.api.throttles.AnonThrottle", "apps.api.throttles.UserThrottle"]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "anon": os.environ.get("API_THROTTLE_ANON", "60/min"),  # per address, without credentials
    "user": os.environ.get("API_THROTTLE_USER", "1200/min"),  # per signed-in user
    "token": os.environ.get("API_THROTTLE_TOKEN", "10/min"),  # POST /api/v1/auth/token/, per address
    "inbound": os.environ.get("API_THROTTLE_INBOUND", "600/min"),  # signed inbound webhooks, per address
}
# The default cache holds the throttle counters: per process (LocMem) unless CACHE_URL (or REDIS_URL)
# names a Redis server; with several web processes set it, or each process counts on its own.
_CACHE_URL = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL")
if _CACHE_URL and not _CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("CACHE_URL must be a redis://, rediss:// or unix:// URL.")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL}
        if _CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# --- end of abuse limits ---------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# --- Content-Security-Policy (django-csp 4; README "Security") --------------------------------------
# Every page may load scripts, styles, fonts and frames only from this site, and runs no inline
# script or style: an escaping slip cannot run script. htmx works under it (templates/base.html sets
# its config: no eval, no injected indicator style); so do Swagger UI (/api/docs/, its start script
# served as a file) and the admin, without exceptions.
from csp.constants import NONE, SELF  # noqa: E402

MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
# --- end of Content-Security-Policy ----------------------------------------------------------------

# --- Health and monitoring (apps.ops; README "Health and monitoring") ------------------------------
# /health/ (no sign-in, for load balancers): 503 when the worker's heartbeat is older than this, or
# when the SLA sweep or the step retry sweep last finished longer ago than that (they run every minute).
HEALTH_WORKER_MAX_AGE_SECONDS = int(os.environ.get("HEALTH_WORKER_MAX_AGE_SECONDS", "120"))
HEALTH_SWEEP_MAX_AGE_SECONDS = int(os.environ.get("HEALTH_SWEEP_MAX_AGE_SECONDS", "300"))
# /metrics (Prometheus): answered to `Authorization: Bearer <METRICS_TOKEN>` or to a caller whose
# address (read as the lockout reads it, TRUSTED_PROXY_COUNT) is in METRICS_ALLOWED_IPS (addresses
# or CIDR networks, comma-separated). Neither set: refused (403), unless DEBUG (development).
# With several web processes set PROMETHEUS_MULTIPROC_DIR (an empty directory, in the environment
# before the processes start): request metrics are then summed over all of them.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = [a.strip() for a in os.environ.get("METRICS_ALLOWED_IPS", "").split(",") if a.strip()]
# First: times every request, including those the other middleware answer themselves.
MIDDLEWARE.insert(0, "apps.ops.metrics.RequestMetricsMiddleware")
# --- end of health and monitoring -----------------------------------------------------------------

# --- Production server: static files and the django-q2 queue name (README "Running in production") --
# WhiteNoise serves the collected static files from the web process itself (no separate file
# server): right after SecurityMiddleware, so a static file skips the rest of the stack. Production
# stores them under content-hashed names, compressed (wms/settings/production.py: STORAGES);
# development and tests keep Django's plain storage and need no collectstatic.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "whitenoise.middleware.WhiteNoiseMiddleware"
)
# The django-q2 queue (and its Redis keys) is named after the cluster: installations (or a test
# cluster) sharing one Redis server keep apart with different names. Every web and worker process
# of one installation must use the same name.
Q_CLUSTER["name"] = os.environ.get("Q2_NAME", "wms")
# --- end of production server ----------------------------------------------------------------------
