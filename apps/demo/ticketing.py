"""What the demo ticketing system does with a call: open a ticket (at most once per
Idempotency-Key), close one (the undo), or answer 503 while it is down. The views only translate
HTTP to these functions; the answers reuse the demo ERP's `Answer`."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import DemoTicket, TicketDeskMode, TicketDeskSettings
from .selectors import ticket_desk_mode_get
from .services import MSG_MODE_UNKNOWN as MSG_MODE_UNKNOWN  # the message the console shows
from .services import MSG_NOT_JSON, Answer, demo_mode_set

MSG_MODE_SET = "The ticketing system is now “{mode}”."
MSG_MODE_NOT_ALLOWED = "Only operators, integrators and administrators can switch the demo ticketing system."
MSG_DOWN = "The ticketing system is down for maintenance."
MSG_SUMMARY_REQUIRED = "The summary is missing."
MSG_KEY_REUSED = "This Idempotency-Key was already used for a different ticket."
MSG_NO_TICKET = "No ticket {number}."


def ticket_desk_mode_set(*, mode: str, actor) -> TicketDeskSettings:
    return demo_mode_set(TicketDeskSettings, TicketDeskMode, mode=mode, actor=actor, refused=MSG_MODE_NOT_ALLOWED)


def _cleaned(payload) -> tuple[dict | None, str]:
    if not isinstance(payload, dict):
        return None, MSG_NOT_JSON
    summary = str(payload.get("summary") or "").strip()
    if not summary:
        return None, MSG_SUMMARY_REQUIRED
    return {
        "summary": summary[:200],
        "category": str(payload.get("category") or "other")[:50],
        "priority": str(payload.get("priority") or "medium")[:20],
        "case_ref": str(payload.get("case") or "")[:50],
    }, ""


def ticket_open(*, payload, key: str = "") -> Answer:
    """Open a ticket and answer its number; a repeat of the key gets the first answer again."""
    if ticket_desk_mode_get() == TicketDeskMode.DOWN:
        return Answer(503, {"message": MSG_DOWN}, note="down")
    cleaned, problem = _cleaned(payload)
    earlier = DemoTicket.objects.filter(idempotency_key=key).first() if key else None
    if earlier is None and problem:
        return Answer(422, {"message": problem}, note="invalid")
    if earlier is None:
        try:
            with transaction.atomic():
                ticket = DemoTicket.objects.create(idempotency_key=key or None, **cleaned)
                ticket.response = {"number": ticket.number, "status": "open", **cleaned}
                ticket.save(update_fields=["response"])
            return Answer(201, ticket.response, effect=True, note=f"opened {ticket.number}")
        except IntegrityError:  # NOTE: a concurrent request with the same key opened it first
            earlier = DemoTicket.objects.get(idempotency_key=key)
    if cleaned is None or any(getattr(earlier, k) != v for k, v in cleaned.items()):
        return Answer(422, {"message": MSG_KEY_REUSED}, note=f"key of {earlier.number}")
    return Answer(201, earlier.response, headers={"Idempotent-Replayed": "true"}, note=f"replayed {earlier.number}")


def ticket_close(*, number: str) -> Answer:
    """Close a ticket (the step's undo when its case closes any way but approved)."""
    if ticket_desk_mode_get() == TicketDeskMode.DOWN:
        return Answer(503, {"message": MSG_DOWN}, note="down")
    digits = number.removeprefix("TCK-")
    ticket = (
        DemoTicket.objects.filter(pk=int(digits)).first()
        if digits.isascii() and digits.isdigit() and len(digits) <= 12
        else None
    )
    if ticket is None:
        return Answer(404, {"message": MSG_NO_TICKET.format(number=number[:50])}, note="unknown")
    effect = bool(DemoTicket.objects.filter(pk=ticket.pk, closed__isnull=True).update(closed=timezone.now()))
    ticket.refresh_from_db(fields=["closed"])
    return Answer(200, {"number": ticket.number, "status": "closed"}, effect=effect, note=f"closed {ticket.number}")
