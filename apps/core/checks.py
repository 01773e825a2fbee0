"""Deployment checks of our own controls, run by `manage.py check --deploy` beside Django's.

Django's checks cover HTTPS, cookies and secrets; these make sure the controls issue 10 added
cannot be switched off by a settings edit without the deploy check saying so: the
Content-Security-Policy, login lockout and API throttles.
"""

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.utils.module_loading import import_string

CSP_MIDDLEWARE = "csp.middleware.CSPMiddleware"
AXES_MIDDLEWARE = "axes.middleware.AxesMiddleware"
AXES_BACKEND = "axes.backends.AxesStandaloneBackend"


def _directives() -> dict:
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    return policy.get("DIRECTIVES", {}) if isinstance(policy, dict) else {}


def _sources(directives: dict, name: str) -> list[str]:
    value = directives.get(name) or directives.get("default-src") or []
    return [value] if isinstance(value, str) else list(value)


@register(Tags.security, deploy=True)
def csp_check(app_configs, **kwargs):
    """Every page carries a CSP that allows no inline or evaluated script."""
    problems = []
    if CSP_MIDDLEWARE not in settings.MIDDLEWARE:
        problems.append(
            Warning(f"{CSP_MIDDLEWARE} is not in MIDDLEWARE: pages carry no Content-Security-Policy.", id="wms.W001")
        )
        return problems
    scripts = _sources(_directives(), "script-src")
    if not scripts:
        problems.append(Warning("CONTENT_SECURITY_POLICY sets neither script-src nor default-src.", id="wms.W002"))
    for unsafe in ("'unsafe-inline'", "'unsafe-eval'", "*"):
        if unsafe in scripts:
            problems.append(Warning(f"CONTENT_SECURITY_POLICY allows {unsafe} scripts.", id="wms.W003"))
    if getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None) and not getattr(
        settings, "CONTENT_SECURITY_POLICY", None
    ):
        problems.append(Warning("The Content-Security-Policy is report-only: nothing is blocked.", id="wms.W004"))
    return problems


def _is_lockout_backend(path: str) -> bool:
    """The axes backend itself or a subclass of it (the test settings use one)."""
    try:
        return issubclass(import_string(path), import_string(AXES_BACKEND))
    except ImportError:
        return False


@register(Tags.security, deploy=True)
def lockout_check(app_configs, **kwargs):
    """Sign-ins are locked out after repeated failures (django-axes)."""
    problems = []
    if "axes" not in settings.INSTALLED_APPS or AXES_MIDDLEWARE not in settings.MIDDLEWARE:
        problems.append(Warning("django-axes is not installed with its middleware: no login lockout.", id="wms.W010"))
    elif not any(_is_lockout_backend(path) for path in settings.AUTHENTICATION_BACKENDS):
        problems.append(Warning(f"{AXES_BACKEND} is not in AUTHENTICATION_BACKENDS: no login lockout.", id="wms.W011"))
    if not getattr(settings, "AXES_ENABLED", True):
        problems.append(Warning("AXES_ENABLED is off: no login lockout.", id="wms.W012"))
    return problems


@register(Tags.security, deploy=True)
def throttle_check(app_configs, **kwargs):
    """The API answers 429 to clients that call too often."""
    rest = getattr(settings, "REST_FRAMEWORK", {})
    classes = rest.get("DEFAULT_THROTTLE_CLASSES") or []
    rates = rest.get("DEFAULT_THROTTLE_RATES") or {}
    problems = []
    if not classes:
        problems.append(
            Warning("REST_FRAMEWORK sets no DEFAULT_THROTTLE_CLASSES: the API is not throttled.", id="wms.W020")
        )
    missing = [scope for scope in ("anon", "user") if not rates.get(scope)]
    if classes and missing:
        problems.append(Warning(f"REST_FRAMEWORK has no throttle rate for: {', '.join(missing)}.", id="wms.W021"))
    return problems
