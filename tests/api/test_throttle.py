"""Abuse of the API: password guessing on the token endpoint (lockout) and request floods (throttles)."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from apps.audit.models import AuditEvent

TOKEN_URL = "/api/v1/auth/token/"
PER_USER = 10  # LOGIN_FAILURES_PER_USER's default
COOLOFF = timedelta(minutes=15)  # LOGIN_LOCKOUT_MINUTES's default


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


def rates(**overrides):
    """Settings with some throttle rates lowered (the test settings raise them all)."""
    rest = settings.REST_FRAMEWORK
    return override_settings(
        REST_FRAMEWORK={**rest, "DEFAULT_THROTTLE_RATES": {**rest["DEFAULT_THROTTLE_RATES"], **overrides}}
    )


def ask_token(username, password, address="10.0.0.1", **extra):
    return APIClient().post(
        TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=address, **extra
    )


def assert_too_many(response):
    assert response.status_code == 429, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
    assert int(response["Retry-After"]) > 0


def test_wrong_passwords_lock_the_token_endpoint_and_the_right_one_then_fails_until_the_cooloff(demo):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(PER_USER - 1):
            assert ask_token("bob", "guess").status_code == 401
        locked = ask_token("bob", "guess")
        assert_too_many(locked)
        assert locked.json() == {
            "detail": "Too many failed sign-ins: try again in 15 minutes or ask an administrator to unlock the account."
        }
        assert int(locked["Retry-After"]) == COOLOFF.total_seconds()

        right = ask_token("bob", "demo", address="10.7.7.7")
        assert_too_many(right)
        assert "token" not in right.json()

    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        still = ask_token("bob", "demo")
        assert_too_many(still)
        assert int(still["Retry-After"]) == (COOLOFF - timedelta(minutes=5)).total_seconds()
        assert "try again in 10 minutes" in still.json()["detail"]
    with time_machine.travel(start + COOLOFF + timedelta(seconds=1), tick=False):
        assert ask_token("bob", "demo").status_code == 200


def test_portal_and_api_failures_count_together(client, demo):
    for _ in range(PER_USER // 2):
        client.post("/accounts/login/", {"username": "bob", "password": "guess"}, REMOTE_ADDR="10.0.0.1")
    for _ in range(PER_USER // 2 - 1):
        assert ask_token("bob", "guess").status_code == 401
    assert_too_many(ask_token("bob", "guess"))


def test_token_endpoint_lockout_is_audited(demo):
    for _ in range(PER_USER):
        ask_token("bob", "guess", address="10.0.0.8")
    failed = AuditEvent.objects.filter(action="auth.login_failed")
    assert failed.count() == PER_USER
    assert {(e.context["username"], e.context["address"]) for e in failed} == {("bob", "10.0.0.8")}
    assert AuditEvent.objects.filter(action="auth.locked_out", context__username="bob").count() == 1


def test_a_junk_username_is_a_400_not_a_crash(demo):
    long = ask_token("x" * 10_000, "guess")
    assert long.status_code == 400 and "username" in long.json()["errors"]
    nul = ask_token("a\x00b", "guess")  # refused by the field or already by the body parser
    assert nul.status_code == 400 and nul.json()["detail"]


def test_signed_in_callers_are_throttled_per_user_with_retry_after(api):
    with rates(user="5/min"):
        alice, bob = api("alice"), api("bob")
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            for _ in range(5):
                assert alice.get("/api/v1/workflows/").status_code == 200
            refused = alice.get("/api/v1/workflows/")
            assert_too_many(refused)
            assert set(refused.json()) == {"detail"}
            assert bob.get("/api/v1/workflows/").status_code == 200
        with time_machine.travel(start + timedelta(seconds=61), tick=False):
            assert alice.get("/api/v1/workflows/").status_code == 200


def test_anonymous_callers_are_throttled_per_address(demo):
    with rates(anon="3/min"):
        for _ in range(2):
            assert APIClient().get("/api/schema/", REMOTE_ADDR="10.0.0.3").status_code == 200
        assert ask_token("alice", "demo", address="10.0.0.3").status_code == 200
        assert_too_many(ask_token("alice", "demo", address="10.0.0.3"))
        assert APIClient().get("/api/schema/", REMOTE_ADDR="10.0.0.3").status_code == 429
        # a made-up X-Forwarded-For does not make a new address (no trusted proxy is configured)
        assert_too_many(ask_token("alice", "demo", address="10.0.0.3", HTTP_X_FORWARDED_FOR="198.51.100.9"))
        assert ask_token("alice", "demo", address="10.0.0.4").status_code == 200


def test_token_requests_have_a_tighter_limit_per_address(demo):
    with rates(token="3/min"):
        for _ in range(3):
            assert ask_token("alice", "demo").status_code == 200
        assert_too_many(ask_token("alice", "demo"))
        assert ask_token("alice", "demo", address="10.0.0.2").status_code == 200


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_the_forwarded_address_counts(demo):
    with rates(token="2/min"):
        for _ in range(2):
            assert (
                ask_token("alice", "demo", address="10.0.0.100", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 200
            )
        assert_too_many(ask_token("alice", "demo", address="10.0.0.100", HTTP_X_FORWARDED_FOR="203.0.113.1"))
        # another client behind the same proxy has its own allowance
        assert ask_token("alice", "demo", address="10.0.0.100", HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 200


def test_the_schema_documents_429_on_the_token_endpoint(demo):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    operation = response.json()["paths"][TOKEN_URL]["post"]
    assert "429" in operation["responses"]


def test_signed_inbound_webhooks_have_their_own_rate(demo):
    def call():
        return APIClient().post("/api/v1/hooks/no-such-endpoint/", {}, format="json", REMOTE_ADDR="10.0.0.9")

    with rates(anon="1/min", inbound="3/min"):
        answers = [call().status_code for _ in range(3)]
        assert 429 not in answers
        assert_too_many(call())


@pytest.mark.parametrize("address", ["", "unix:/run/gunicorn.sock"])
def test_a_caller_without_an_ip_address_is_still_counted_not_a_crash(demo, address):
    # gunicorn on a unix socket behind a proxy that sets no X-Forwarded-For: no usable REMOTE_ADDR
    for _ in range(PER_USER - 1):
        assert ask_token("bob", "guess", address=address).status_code == 401
    assert_too_many(ask_token("bob", "guess", address=address))
