"""Every page shows times in the signed-in person's zone (their profile), else the installation's.

The zone's name is kept in the session when the person signs in (and when they change it on their
settings page), so a request costs no query to learn it: the session is read anyway to know who
signed in. A change made elsewhere (the admin) shows from the person's next sign-in.
The API is left alone: it writes ISO moments the same way whoever calls it, browser session or not.
"""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone

from apps.core.moments import is_time_zone, zone_or_default
from apps.org.selectors import user_time_zone_name

SESSION_KEY = "wms_time_zone"
API_PREFIX = "/api/"


def remember_time_zone(request, name: str) -> None:
    """Keep the person's zone for their next requests ("" is the installation's default)."""
    request.session[SESSION_KEY] = name


@receiver(user_logged_in, dispatch_uid="portal.remember_time_zone")
def _on_sign_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        remember_time_zone(request, user_time_zone_name(user=user))


class TimeZoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session, name = getattr(request, "session", None), ""
        if session is not None and not request.path.startswith(API_PREFIX):
            name = session.get(SESSION_KEY, "")
        if name and is_time_zone(name):
            timezone.activate(zone_or_default(name))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
