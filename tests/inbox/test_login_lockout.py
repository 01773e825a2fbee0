"""Guessing passwords on the portal's sign-in page: per-user and per-address lockout, audited."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.audit.models import AuditEvent

LOGIN = "/accounts/login/"
PER_USER = 10  # LOGIN_FAILURES_PER_USER's default
PER_ADDRESS = 30  # LOGIN_FAILURES_PER_ADDRESS's default
COOLOFF = timedelta(minutes=15)  # LOGIN_LOCKOUT_MINUTES's default


def sign_in(client, username, password, address="10.0.0.1", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_wrong_passwords_lock_the_account_and_the_right_one_then_fails_until_the_cooloff(client, demo):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(PER_USER - 1):
            response = sign_in(client, "bob", "guess")
            assert response.status_code == 200 and b"did not match" in response.content
        locked = sign_in(client, "bob", "guess")
        assert locked.status_code == 429
        assert b"Too many failed sign-ins: try again in 15 minutes or ask an administrator" in locked.content
        assert int(locked["Retry-After"]) == COOLOFF.total_seconds()

        right = sign_in(client, "bob", "demo")
        assert right.status_code == 429 and not signed_in(client)
        # from anywhere: the lock is on the account, not only on the address that guessed
        assert sign_in(client, "bob", "demo", address="10.9.9.9").status_code == 429
        assert not signed_in(client)

    with time_machine.travel(start + COOLOFF - timedelta(minutes=1), tick=False):
        assert sign_in(client, "bob", "demo").status_code == 429
    with time_machine.travel(start + COOLOFF + timedelta(seconds=1), tick=False):
        response = sign_in(client, "bob", "demo")
        assert response.status_code == 302 and signed_in(client)


def test_other_users_can_still_sign_in_while_one_account_is_locked(client, demo):
    for _ in range(PER_USER):
        sign_in(client, "bob", "guess")
    assert sign_in(client, "alice", "demo").status_code == 302 and signed_in(client)


def test_one_address_guessing_many_usernames_is_locked_out(client, demo):
    for n in range(PER_ADDRESS - 1):
        assert sign_in(client, f"user{n}", "guess").status_code == 200
    assert sign_in(client, "user-last", "guess").status_code == 429
    locked = AuditEvent.objects.get(action="auth.locked_out")
    assert locked.context == {"username": "user-last", "address": "10.0.0.1", "locked": ["address"]}
    # the address is locked even for a right password of an account nobody guessed at
    assert sign_in(client, "alice", "demo").status_code == 429 and not signed_in(client)
    # a made-up X-Forwarded-For does not make a new address (no trusted proxy is configured)
    assert sign_in(client, "alice", "demo", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    # another address is not affected
    assert sign_in(client, "alice", "demo", address="10.0.0.2").status_code == 302 and signed_in(client)


def test_a_successful_sign_in_forgives_earlier_mistakes(client, demo):
    for _ in range(PER_USER - 1):
        sign_in(client, "carol", "typo")
    assert sign_in(client, "carol", "demo").status_code == 302
    client.logout()
    for _ in range(PER_USER - 1):
        assert sign_in(client, "carol", "typo").status_code == 200


def test_failed_sign_ins_and_the_lockout_are_in_the_audit_trail(client, demo):
    for _ in range(PER_USER):
        sign_in(client, "bob", "guess", address="10.0.0.5")
    sign_in(client, "bob", "demo", address="10.0.0.5")

    failed = AuditEvent.objects.filter(action="auth.login_failed")
    assert failed.count() == PER_USER  # refusals while locked are covered by the lockout's row
    assert {e.context["username"] for e in failed} == {"bob"}
    assert {e.context["address"] for e in failed} == {"10.0.0.5"}
    assert failed.last().context["locked_out"] is True
    locked = AuditEvent.objects.get(action="auth.locked_out")
    assert locked.context == {"username": "bob", "address": "10.0.0.5", "locked": ["account"]}
    assert locked.reason == "Too many failed sign-ins: the account 'bob' is locked out (last try: 'bob' from 10.0.0.5)."
    assert locked.get_action_display() == "Sign-ins locked out"
    assert not any("guess" in str(e.context) + e.reason for e in AuditEvent.objects.all())


def test_an_administrator_can_unlock_an_account(client, demo):
    from django.core.management import call_command

    for _ in range(PER_USER):
        sign_in(client, "bob", "guess")
    assert sign_in(client, "bob", "demo").status_code == 429
    call_command("axes_reset_username", "bob", verbosity=0)
    assert sign_in(client, "bob", "demo").status_code == 302 and signed_in(client)


@pytest.mark.parametrize("field", ["username", "password"])
def test_the_sign_in_page_still_refuses_junk_with_a_clear_error(client, demo, field):
    # The NUL guard answers before the form (apps/core/input_guard.py): a 400 naming the field,
    # never a 500 from the lockout's bookkeeping on PostgreSQL.
    data = {"username": "bob", "password": "x", field: "a\x00b"}
    response = client.post(LOGIN, data)
    assert response.status_code == 400
    assert f"&#x27;{field}&#x27; may not contain NUL" in response.content.decode()
