"""The sign-in guard: lockout after repeated failed sign-ins, per account and per address.

django-axes does the bookkeeping: every `authenticate(request, ...)` that fails is counted in the
database (so the count holds across web processes and hosts), and `AxesStandaloneBackend`, first in
AUTHENTICATION_BACKENDS, refuses every sign-in, right password or not, while a limit is reached.
The portal's sign-in page and the API's token endpoint share the counts. Limits and the cool-off
come from settings (LOGIN_FAILURES_PER_USER, LOGIN_FAILURES_PER_ADDRESS, LOGIN_LOCKOUT_MINUTES);
an administrator lifts a lockout early in the admin (Axes > Access attempts) or with
`manage.py axes_reset_username <name>` / `axes_reset_ip <address>`.
"""

import ipaddress
import math

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.shortcuts import render
from django.utils import timezone

MSG_LOCKED_OUT = "Too many failed sign-ins: try again in {wait} or ask an administrator to unlock the account."


def client_address(request) -> str | None:
    """The caller's address, which a client cannot choose (None if there is no IP address).

    REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT reverse proxies the address the outermost one saw:
    X-Forwarded-For is read from the right, where the trusted proxies append, never from the left.
    """
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if proxies and forwarded:
        address = forwarded[-min(proxies, len(forwarded))]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        # NOTE: stored in an inet column on PostgreSQL; callers without an address count together.
        return None


def lockout_message(wait_seconds: int) -> str:
    minutes = max(1, math.ceil(wait_seconds / 60))
    return MSG_LOCKED_OUT.format(wait=f"{minutes} minute{'s' if minutes != 1 else ''}")


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with two limits: one per account, one per address.

    Axes compares one failure count with AXES_FAILURE_LIMIT (the per-account limit). The count we
    give it is the account's failures, or the address's failures shifted so that they reach that
    limit exactly when the address reaches LOGIN_FAILURES_PER_ADDRESS, whichever is higher.
    """

    def _recent(self, request, credentials, **match) -> dict:
        since = timezone.now() - get_cool_off(request)
        return AccessAttempt.objects.filter(attempt_time__gte=since, **match).aggregate(
            failures=Sum("failures_since_start"), last=Max("attempt_time")
        )

    def _limits(self, request, credentials) -> list[tuple[dict, int]]:
        """(recent failures, limit) for the account and for the address of this sign-in."""
        username = get_client_username(request, credentials)
        return [
            (self._recent(request, credentials, username=username), settings.AXES_FAILURE_LIMIT),
            (
                self._recent(request, credentials, ip_address=request.axes_ip_address),
                settings.LOGIN_FAILURES_PER_ADDRESS,
            ),
        ]

    def get_failures(self, request, credentials=None) -> int:
        return max(
            (recent["failures"] or 0) - limit + settings.AXES_FAILURE_LIMIT
            for recent, limit in self._limits(request, credentials)
        )

    def limits_reached(self, request, credentials=None) -> list[str]:
        """Which locks hold for this sign-in: "account", "address", both or none."""
        names = ["account", "address"]
        return [
            name
            for name, (recent, limit) in zip(names, self._limits(request, credentials), strict=True)
            if (recent["failures"] or 0) >= limit
        ]

    def lockout_wait(self, request, credentials=None) -> int:
        """Seconds until every limit this sign-in has reached is lifted (at least 1)."""
        reached = [
            recent["last"]
            for recent, limit in self._limits(request, credentials)
            if recent["failures"] and recent["failures"] >= limit
        ]
        if not reached:
            return 1
        until = max(reached) + get_cool_off(request)
        return max(1, math.ceil((until - timezone.now()).total_seconds()))

    def reset_user_attempts(self, request, credentials=None) -> int:
        """A successful sign-in forgives the account's own failures only: an insider's good password
        must not wipe the count of an address that guesses at other accounts."""
        count, _ = AccessAttempt.objects.filter(username=get_client_username(request, credentials)).delete()
        return count


def _handler() -> LockoutHandler:
    handler = AxesProxyHandler.get_implementation()
    assert isinstance(handler, LockoutHandler), "AXES_HANDLER must be apps.core.auth_guard.LockoutHandler"
    return handler


def lockout_wait(request, credentials=None) -> int:
    """Seconds until this locked-out sign-in may be tried again."""
    return _handler().lockout_wait(request, credentials)


def limits_reached(request, credentials=None) -> list[str]:
    return _handler().limits_reached(request, credentials)


def lockout_response(request, original_response=None, credentials=None):
    """The portal's answer while a sign-in is locked out (AXES_LOCKOUT_CALLABLE): 429 with Retry-After."""
    wait = lockout_wait(request, credentials)
    response = render(request, "429.html", {"message": lockout_message(wait)}, status=429)
    response["Retry-After"] = str(wait)
    return response


def sign_in_succeeded(request, username: str) -> None:
    """What a portal sign-in does through axes' user_logged_in receiver, for sign-ins that open no
    session (the API's token endpoint): the same reset, so both forgive the same failures."""
    if settings.AXES_RESET_ON_SUCCESS:
        _handler().reset_user_attempts(request, {"username": username})


class RequestOptionalLockoutBackend(AxesStandaloneBackend):
    """Tests only (wms/settings/test.py): Django's test client `login()` calls `authenticate()`
    without a request, which axes refuses with an error. Production keeps AxesStandaloneBackend,
    so a sign-in path that forgets the request fails loudly instead of skipping the lockout."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
