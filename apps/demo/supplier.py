"""What the demo supplier portal does: check a login, take an order, find orders by PO number, and
misbehave the way its mode says ("changed" renames a field of the order form, "slow" answers
late). It is the target of `ui` steps: a legacy web tool with no API, driven through its pages.
The views only translate the pages' forms to these functions."""

import hmac
import time
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction

from apps.core.errors import NotAllowed, ValidationFailed

from .models import SupplierOrder, SupplierPortalMode, SupplierPortalSettings
from .policy import user_can_drive_erp
from .services import MSG_MODE_UNKNOWN as MSG_MODE_UNKNOWN  # the message the console shows
from .services import demo_mode_set

CURRENCIES = ["EUR", "USD", "GBP", "CHF"]
MAX_AMOUNT = Decimal("1000000000")
SEARCH_MAX = 50

MSG_MODE_SET = "The supplier portal is now in mode “{mode}”."
MSG_MODE_NOT_ALLOWED = "Only operators, integrators and administrators can switch the demo supplier portal."
MSG_CLEARED = "Cleared {count} order(s) from the supplier portal."
MSG_PO_REQUIRED = "The PO number is missing."
MSG_PO_TOO_LONG = "The PO number is longer than 50 characters."
MSG_AMOUNT_INVALID = "The amount must be a number above 0."
MSG_CURRENCY_UNKNOWN = "The currency must be one of {currencies}."
MSG_NOTE_TOO_LONG = "The note is longer than 2000 characters."


def slow_seconds() -> float:
    """How long a page of the portal takes in mode "slow"."""
    return float(settings.WMS_DEMO_SUPPLIER_SLOW_SECONDS)


def portal_user() -> str:
    """The user name UI steps sign in with (the secret SUPPLIER_PORTAL_USER)."""
    return _credentials()[0]


def _credentials() -> tuple[str, str]:
    secrets = getattr(settings, "WMS_SECRETS", {}) or {}
    return secrets.get("SUPPLIER_PORTAL_USER", ""), secrets.get("SUPPLIER_PORTAL_PASSWORD", "")


def supplier_login_check(*, username: str, password: str) -> bool:
    """Whether these are the portal's credentials (settings WMS_SECRETS), compared in constant time.

    NOTE: both comparisons always run, so the answer's timing does not tell a right user name."""
    user, secret = _credentials()
    if not user or not secret:
        return False
    same_user = hmac.compare_digest(username.encode(), user.encode())
    same_password = hmac.compare_digest(password.encode(), secret.encode())
    return same_user and same_password


def supplier_mode_set(*, mode: str, actor) -> SupplierPortalSettings:
    return demo_mode_set(
        SupplierPortalSettings, SupplierPortalMode, mode=mode, actor=actor, refused=MSG_MODE_NOT_ALLOWED
    )


def supplier_misbehave(*, mode: str) -> None:
    """In mode "slow", hold the page for WMS_DEMO_SUPPLIER_SLOW_SECONDS before it is served."""
    if mode == SupplierPortalMode.SLOW:
        time.sleep(slow_seconds())


def _cleaned(*, po_number: str, amount: str, currency: str, note: str) -> dict:
    errors: dict[str, list[str]] = {}
    po_number, note = (po_number or "").strip(), (note or "").strip()
    if not po_number:
        errors["po_number"] = [MSG_PO_REQUIRED]
    elif len(po_number) > 50:
        errors["po_number"] = [MSG_PO_TOO_LONG]
    try:
        value = Decimal((amount or "").strip().replace(",", "")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite() or not 0 < value < MAX_AMOUNT:
        errors["amount"] = [MSG_AMOUNT_INVALID]
    if currency not in CURRENCIES:
        errors["currency"] = [MSG_CURRENCY_UNKNOWN.format(currencies=", ".join(CURRENCIES))]
    if len(note) > 2000:
        errors["note"] = [MSG_NOTE_TOO_LONG]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], field_errors=errors)
    return {"po_number": po_number, "amount": value, "currency": currency, "note": note}


def supplier_order_enter(
    *, po_number: str, amount: str, currency: str, note: str = "", entered_by: str, mode: str
) -> SupplierOrder:
    """Take an order. The same PO number twice makes two orders, as the real portal does."""
    cleaned = _cleaned(po_number=po_number, amount=amount, currency=currency, note=note)
    with transaction.atomic():
        order = SupplierOrder(**cleaned, entered_by=entered_by[:150], mode=mode)
        order.full_clean()
        order.save()
    return order


def supplier_orders_clear(*, actor) -> int:
    """Empty the portal's order book (between demo runs)."""
    if not user_can_drive_erp(user=actor):
        raise NotAllowed(MSG_MODE_NOT_ALLOWED)
    count, _ = SupplierOrder.objects.all().delete()
    return count
