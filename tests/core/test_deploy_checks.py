"""`check --deploy` says so when a control of issue 10 is switched off by a settings edit."""

from django.conf import settings
from django.test import override_settings

from apps.core import checks


def ids(problems):
    return {p.id for p in problems}


def test_the_project_settings_pass_every_control_check():
    assert checks.csp_check(None) == []
    assert checks.lockout_check(None) == []
    assert checks.throttle_check(None) == []


def test_a_missing_csp_middleware_is_a_deploy_warning():
    middleware = [m for m in settings.MIDDLEWARE if m != checks.CSP_MIDDLEWARE]
    with override_settings(MIDDLEWARE=middleware):
        assert ids(checks.csp_check(None)) == {"wms.W001"}


def test_inline_script_in_the_policy_is_a_deploy_warning():
    policy = {
        "DIRECTIVES": {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "script-src": ["'self'", "'unsafe-inline'"]}
    }
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        assert ids(checks.csp_check(None)) == {"wms.W003"}


def test_login_lockout_switched_off_is_a_deploy_warning():
    with override_settings(AXES_ENABLED=False):
        assert ids(checks.lockout_check(None)) == {"wms.W012"}
    backends = ["django.contrib.auth.backends.ModelBackend"]
    with override_settings(AUTHENTICATION_BACKENDS=backends):
        assert ids(checks.lockout_check(None)) == {"wms.W011"}


def test_an_unthrottled_api_is_a_deploy_warning():
    rest = {k: v for k, v in settings.REST_FRAMEWORK.items() if k != "DEFAULT_THROTTLE_CLASSES"}
    with override_settings(REST_FRAMEWORK=rest):
        assert ids(checks.throttle_check(None)) == {"wms.W020"}
