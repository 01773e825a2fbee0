"""Failed sign-ins and lockouts in the audit trail (the lockout itself: apps.core.auth_guard).

Attempts refused while a lockout holds are not recorded one by one (the lockout is): so the trail
grows by at most the lockout limits per cool-off, however hard someone hammers the sign-in page.
"""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.db import transaction

from apps.core.auth_guard import client_address, limits_reached

from .models import Action
from .services import audit_record


def _who(request, username) -> tuple[str, str]:
    username = str(username or "").replace("\x00", "")[:150]
    if request is None:
        return username, ""
    return username, getattr(request, "axes_ip_address", None) or client_address(request)


def record_sign_in_failed(sender, credentials, request=None, **kwargs):
    refused_while_locked = getattr(request, "axes_locked_out", False) and (
        getattr(request, "axes_failures_since_start", None) is None
    )
    if refused_while_locked:
        return
    username, address = _who(request, credentials.get("username"))
    locked = bool(getattr(request, "axes_locked_out", False))
    with transaction.atomic():
        audit_record(
            action=Action.AUTH_LOGIN_FAILED,
            reason=f"Sign-in as {username!r} from {address or 'an unknown address'} failed"
            + (": this failure locked sign-ins." if locked else "."),
            context={
                "username": username,
                "address": address,
                "path": getattr(request, "path", "")[:200],
                "locked_out": locked,
            },
        )


def record_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    if getattr(request, "axes_failures_since_start", None) is None:
        return  # a sign-in refused during a lockout that is already recorded
    username, address = _who(request, username)
    reached = limits_reached(request, getattr(request, "axes_credentials", None))
    locks = {"account": f"the account {username!r}", "address": f"the address {address}"}
    with transaction.atomic():
        audit_record(
            action=Action.AUTH_LOCKED_OUT,
            reason=f"Too many failed sign-ins: {' and '.join(locks[name] for name in reached)}"
            f" {'is' if len(reached) == 1 else 'are'} locked out"
            f" (last try: {username!r} from {address}).",
            context={"username": username, "address": address, "locked": reached},
        )


def connect() -> None:
    from . import memberships

    memberships.connect()
    user_login_failed.connect(record_sign_in_failed, dispatch_uid="audit.sign_in_failed")
    user_locked_out.connect(record_locked_out, dispatch_uid="audit.locked_out")
