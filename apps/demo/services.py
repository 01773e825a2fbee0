"""What the demo ERP does with a call: book an invoice (at most once per Idempotency-Key),
cancel one, hand out a report extract, or misbehave the way its mode says. Views only translate HTTP to these functions."""

import hashlib
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.errors import NotAllowed, ValidationFailed

from .models import ErpCall, ErpInvoice, ErpMode, ErpSettings
from .policy import user_can_drive_erp

# Longer than the invoice step's timeout (5 s), so the WMS gives up before the answer comes.
SLOW_SECONDS = 8
RETRY_AFTER_SECONDS = 30
MAX_AMOUNT = Decimal("1000000000")
# The ERP's vendor master: any other vendor is refused, which sends the case to the exception queue.
KNOWN_VENDORS = ["ACME Ltd", "Globex", "Initech", "Stark Industries", "Umbrella Corp"]

MSG_MODE_SET = "The ERP is now in mode “{mode}”."
MSG_MODE_UNKNOWN = "Mode “{mode}” is not one of {modes}."
MSG_MODE_NOT_ALLOWED = "Only operators, integrators and administrators can switch the demo ERP."
MSG_UNAUTHORIZED = "Missing or wrong bearer token."
MSG_NOT_JSON = "The body must be a JSON object."
MSG_INVOICE_REQUIRED = "The invoice number is missing."
MSG_VENDOR_REQUIRED = "The vendor is missing."
MSG_VENDOR_UNKNOWN = "Vendor '{vendor}' is not in the ERP's vendor master."
MSG_AMOUNT_INVALID = "The amount must be a number above 0."
MSG_BLOCKED = "Vendor is blocked in the ERP"
MSG_KEY_REUSED = "This Idempotency-Key was already used for a different invoice."
MSG_DOWN = "The ERP is down for maintenance."
MSG_RATE_LIMITED = f"Too many requests: try again in {RETRY_AFTER_SECONDS} seconds."
MSG_NO_INVOICE = "No invoice {reference}."
MSG_PERIOD_REQUIRED = "The period is missing or not a date (YYYY-MM-DD)."
MSG_PERIOD_LOCKED = "The ledger for this period is locked: the extract cannot be taken now."
GARBAGE_BODY = "<html><body><h1>502 Proxy Error</h1><p>Upstream sent an invalid response.</p></body></html>"


@dataclass
class Answer:
    status: int
    body: dict | str
    headers: dict = field(default_factory=dict)
    effect: bool = False
    note: str = ""


# --- the mode -------------------------------------------------------------------------------------


def erp_mode_set(*, mode: str, actor) -> ErpSettings:
    return demo_mode_set(ErpSettings, ErpMode, mode=mode, actor=actor, refused=MSG_MODE_NOT_ALLOWED)


def demo_mode_set(switch, modes, *, mode: str, actor, refused: str):
    """Switch one of the demo's simulated systems (its DemoSwitch row, pk 1) to `mode`, one of
    `modes`: for those who may drive the demo systems (`refused` tells the others why not)."""
    if not user_can_drive_erp(user=actor):
        raise NotAllowed(refused)
    if mode not in modes.values:
        message = MSG_MODE_UNKNOWN.format(mode=mode, modes=", ".join(modes.values))
        raise ValidationFailed(message, field_errors={"mode": [message]})
    row, _ = switch.objects.update_or_create(
        pk=1, defaults={"mode": mode, "changed_by": actor, "changed": timezone.now()}
    )
    return row


def erp_misbehave(*, mode: str) -> Answer | None:
    """The answer of a broken ERP, before it looks at the request; None when it goes on to serve it.

    NOTE: "slow" serves the request after the pause, so the invoice is booked although the
    caller has given up: exactly the case the Idempotency-Key is for.
    """
    if mode == ErpMode.DOWN:
        return Answer(503, {"message": MSG_DOWN}, note="down")
    if mode == ErpMode.RATE_LIMITED:
        return Answer(
            429, {"message": MSG_RATE_LIMITED}, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}, note="rate limited"
        )
    if mode == ErpMode.GARBAGE:
        return Answer(200, GARBAGE_BODY, note="garbage")
    if mode == ErpMode.SLOW:
        time.sleep(SLOW_SECONDS)
    return None


# --- invoices -------------------------------------------------------------------------------------


def _cleaned(payload) -> tuple[dict | None, str]:
    """(invoice, problem): the request's invoice in the ERP's terms, or what is wrong with it."""
    if not isinstance(payload, dict):
        return None, MSG_NOT_JSON
    number = str(payload.get("invoice") or "").strip()
    vendor_given = str(payload.get("vendor") or "").strip()
    if not number:
        return None, MSG_INVOICE_REQUIRED
    if not vendor_given:
        return None, MSG_VENDOR_REQUIRED
    vendor = next((v for v in KNOWN_VENDORS if v.casefold() == vendor_given.casefold()), None)
    if vendor is None:
        return None, MSG_VENDOR_UNKNOWN.format(vendor=vendor_given[:100])
    amount = payload.get("amount")
    try:
        amount = None if isinstance(amount, bool) else Decimal(str(amount)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or not 0 < amount < MAX_AMOUNT:
        return None, MSG_AMOUNT_INVALID
    return {"invoice_number": number[:100], "vendor": vendor, "amount": amount}, ""


def _replay(invoice: ErpInvoice, cleaned: dict | None) -> Answer:
    same = cleaned is not None and all(getattr(invoice, k) == v for k, v in cleaned.items())
    if not same:
        return Answer(422, {"message": MSG_KEY_REUSED}, note=f"key of {invoice.reference}")
    return Answer(201, invoice.response, headers={"Idempotent-Replayed": "true"}, note=f"replayed {invoice.reference}")


def erp_invoice_book(*, payload, key: str = "", blocked: bool = False) -> Answer:
    """Book an invoice, once per Idempotency-Key: a repeat gets the first answer and books nothing."""
    cleaned, problem = _cleaned(payload)
    if key:
        earlier = ErpInvoice.objects.filter(idempotency_key=key).first()
        if earlier is not None:
            return _replay(earlier, cleaned)
    if blocked:
        return Answer(422, {"message": MSG_BLOCKED}, note="vendor blocked")
    if problem:
        return Answer(422, {"message": problem}, note="invalid")
    try:
        with transaction.atomic():
            invoice = ErpInvoice.objects.create(idempotency_key=key or None, **cleaned)
            invoice.response = {
                "reference": invoice.reference,
                "status": "booked",
                "invoice": invoice.invoice_number,
                "vendor": invoice.vendor,
                "amount": str(invoice.amount),
            }
            invoice.save(update_fields=["response"])
    except IntegrityError:
        # NOTE: a concurrent request with the same key booked it first (its insert held the
        # unique key until it committed): answer as it did.
        return _replay(ErpInvoice.objects.get(idempotency_key=key), cleaned)
    return Answer(201, invoice.response, effect=True, note=f"booked {invoice.reference}")


def erp_invoice_cancel(*, reference: str) -> Answer:
    """Cancel (the undo of booking); cancelling a cancelled invoice answers the same again."""
    number = reference.removeprefix("ERP-")
    invoice = (
        ErpInvoice.objects.filter(pk=int(number)).first()
        if number.isascii() and number.isdigit() and len(number) <= 12
        else None
    )
    if invoice is None:
        return Answer(404, {"message": MSG_NO_INVOICE.format(reference=reference[:50])}, note="unknown")
    effect = bool(ErpInvoice.objects.filter(pk=invoice.pk, cancelled__isnull=True).update(cancelled=timezone.now()))
    invoice.refresh_from_db(fields=["cancelled"])
    body = {"reference": invoice.reference, "status": "cancelled", "cancelled": invoice.cancelled.isoformat()}
    return Answer(
        200, body, effect=effect, note=f"{'cancelled' if effect else 'already cancelled'} {invoice.reference}"
    )


MSG_REVOKE_FIELDS = "Name the system and the ticket whose access ends."
MSG_END_FIELDS = "Name the case and the policy whose exception ends."


def _once_per_key(*, prefix: str, key: str, fallback: str, body: dict, done: str) -> Answer:
    """A recorded action's answer: its reference derived from the Idempotency-Key (else from
    `fallback`), so a repeated call answers the same and takes effect once (the call log shows
    one call with an effect)."""
    reference = f"{prefix}-" + hashlib.sha256((key or fallback).encode()).hexdigest()[:10].upper()
    repeated = bool(key) and ErpCall.objects.filter(idempotency_key=key[:200], effect=True).exists()
    return Answer(
        200,
        {"reference": reference, **body},
        effect=not repeated,
        note=f"{'already ' if repeated else ''}{done} {reference}",
    )


def erp_access_revoke(*, payload, key: str) -> Answer:
    """The demo access control (served by the demo ERP): end the access a ticket granted to a
    system, as the access-request workflow's scheduled step asks when the access expires."""
    if not isinstance(payload, dict):
        return Answer(400, {"message": MSG_NOT_JSON}, note="not json")
    ticket, system = str(payload.get("ticket") or "").strip(), str(payload.get("system") or "").strip()
    if not ticket or not system:
        return Answer(400, {"message": MSG_REVOKE_FIELDS}, note="incomplete")
    body = {"status": "revoked", "ticket": ticket[:50], "system": system[:200]}
    return _once_per_key(prefix="REV", key=key, fallback=f"{ticket}/{system}", body=body, done="revoked")


def erp_exception_end(*, payload, key: str) -> Answer:
    """The demo policy register (served by the demo ERP): record that a policy exception has
    ended, as the policy-exception workflow's scheduled step asks on the expiry date."""
    if not isinstance(payload, dict):
        return Answer(400, {"message": MSG_NOT_JSON}, note="not json")
    case, policy = str(payload.get("case") or "").strip(), str(payload.get("policy") or "").strip()
    if not case or not policy:
        return Answer(400, {"message": MSG_END_FIELDS}, note="incomplete")
    body = {"status": "ended", "case": case[:50], "policy": policy[:100], "ended": timezone.now().isoformat()}
    return _once_per_key(prefix="END", key=key, fallback=f"{case}/{policy}", body=body, done="ended")


# --- report extracts (the recurring-report workflow's data source) ------------------------------


def erp_report_extract(*, payload, locked: bool = False) -> Answer:
    """A report's data for a period: the invoices booked in the ERP (and not cancelled) so far.
    Read-only, so it needs no Idempotency-Key and no undo; "reject" mode locks the ledger."""
    period = str(payload.get("period") or "").strip() if isinstance(payload, dict) else ""
    try:
        day = date.fromisoformat(period)
    except ValueError:
        return Answer(422, {"message": MSG_PERIOD_REQUIRED}, note="invalid")
    if locked:
        return Answer(422, {"message": MSG_PERIOD_LOCKED}, note="ledger locked")
    booked = ErpInvoice.objects.filter(cancelled__isnull=True)
    total = sum((i.amount for i in booked), Decimal("0"))
    source = str(payload.get("source") or "general_ledger")[:50]
    body = {
        "extract": f"EXT-{day:%Y%m%d}-{booked.count()}",
        "period": day.isoformat(),
        "source": source,
        "rows": booked.count(),
        "total": str(total),
    }
    return Answer(200, body, note=f"extract {body['extract']}")


def erp_call_record(*, method: str, path: str, key: str, mode: str, answer: Answer) -> ErpCall:
    return ErpCall.objects.create(
        method=method,
        path=path[:300],
        idempotency_key=key[:200],
        mode=mode,
        status_code=answer.status,
        effect=answer.effect,
        note=answer.note[:300],
    )
