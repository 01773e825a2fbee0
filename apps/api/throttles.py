"""Request limits for the API (429 with Retry-After when exceeded).

Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (set from the environment in settings) and
are read on every request, so a changed setting applies without a restart of the class. Counters
live in the default cache: shared by every web process only when CACHES points at Redis.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from apps.core.auth_guard import client_address


class _Rates:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        # NOTE: one notion of "the caller's address" for throttles and the sign-in lockout.
        return client_address(request)


class AnonThrottle(_Rates, AnonRateThrottle):
    """Callers without credentials, per address (scope "anon")."""


class UserThrottle(_Rates, UserRateThrottle):
    """Signed-in callers, per user (scope "user")."""


class TokenThrottle(_Rates, SimpleRateThrottle):
    """Requests for an API token, per address, signed in or not (scope "token")."""

    scope = "token"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class InboundHookThrottle(TokenThrottle):
    """Signed inbound webhooks, per address (scope "inbound"): senders are machines, so more."""

    scope = "inbound"
