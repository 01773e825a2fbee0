"""Inbound webhooks: a signed POST to /api/v1/hooks/<slug>/ starts a case, or completes the
waiting step of a case ("waiting for customer" resumes when the customer's system calls back).

The signature is the authentication, with the same scheme as outbound deliveries:

    X-WMS-Delivery:  <the sender's unique id for this delivery, at most 100 characters>
    X-WMS-Timestamp: <unix seconds>, within 5 minutes of our clock (either way)
    X-WMS-Signature: sha256=<hex HMAC-SHA256(key=endpoint secret,
                                             msg=f"{delivery}.{timestamp}.{raw body}")>

The delivery id is signed: a captured call replayed with another X-WMS-Delivery does not match.
The first scheme signed only f"{timestamp}.{raw body}"; such a call is refused (401) with a
reason saying so, so a sender still on it knows what to change.

Replays are refused twice over (409): a delivery id accepted once for an endpoint, and a signature
accepted once (the same signed content, whatever the delivery header says). The case is started
with the idempotency key f"hook:{slug}:{delivery_id}", and both "accepted once" rules are database
constraints, so racing copies still start one case. A callback names its case at the endpoint's
`case_path` in the body; a second callback for a step that is no longer waiting is refused (409)
and changes nothing. A body nested deeper than apps.core.jsonsafe allows is refused (400).
Every call, accepted or refused, leaves an InboundDelivery row; refusals are written after (and
outside) the work that failed, so a rollback does not take the log row with it.

Endpoints are created, rotated and switched off in apps.integrations.endpoints.
"""

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction

from apps.cases.models import Case
from apps.cases.services import case_start
from apps.core.errors import ServiceError
from apps.core.jsonsafe import MAX_DEPTH, MSG_TOO_DEEP, JSONTooDeep, json_loads_limited

from .calls import path_value
from .models import InboundAction, InboundDelivery, InboundEndpoint
from .services import webhook_sign

logger = logging.getLogger(__name__)

TIMESTAMP_TOLERANCE = 300  # seconds, both ways: stale and future timestamps are refused
DELIVERY_ID_MAX = 100

MSG_UNKNOWN_ENDPOINT = "No such inbound endpoint."
MSG_INACTIVE_ENDPOINT = "The inbound endpoint is deactivated."
MSG_RUN_AS_INACTIVE = "The endpoint's run-as user is deactivated."
MSG_DELIVERY_MISSING = "X-WMS-Delivery is missing."
MSG_DELIVERY_TOO_LONG = f"X-WMS-Delivery has at most {DELIVERY_ID_MAX} characters."
MSG_SIGNATURE_MISSING = "X-WMS-Timestamp or X-WMS-Signature is missing."
MSG_TIMESTAMP_INVALID = "X-WMS-Timestamp is not a unix time in seconds."
MSG_SIGNATURE_INVALID = "The signature does not match."
MSG_SIGNATURE_UNBOUND = (
    'The signature covers "{timestamp}.{body}" only; sign "{delivery}.{timestamp}.{body}"'
    " (the delivery id is part of the signed content)."
)
MSG_TIMESTAMP_STALE = "The timestamp is more than 5 minutes old."
MSG_TIMESTAMP_FUTURE = "The timestamp is more than 5 minutes in the future."
MSG_JSON_INVALID = "The body is not a JSON object."
MSG_REPLAY = "This delivery id was already accepted."
MSG_REPLAY_SIGNATURE = "This signed call was already accepted (a replay, whatever its delivery id)."
MSG_JSON_TOO_DEEP = MSG_TOO_DEEP.format(max_depth=MAX_DEPTH)
MSG_INTERNAL = "Not processed: an internal error (see the server log)."
MSG_ACCEPTED = "Case {case} started."
MSG_RESUMED = "Case {case}: step {step} completed."
MSG_CASE_MISSING = "The body names no case at '{path}'."
MSG_CASE_UNKNOWN = "No case {case} of this endpoint's workflow."
# --- receiving --------------------------------------------------------------------------------

# Who acts on an accepted call beyond starting a case: complete_step is the automated steps'
# (apps.automation registers step_callback in its ready()), so transport never imports them.
_handlers: dict[str, Callable[..., object]] = {}


def inbound_handler_register(*, action: str, handler: Callable[..., object]) -> None:
    """`handler(case_id=, step_key=, data=, actor=, delivery=)` acts on accepted `action` calls,
    in the transaction that marks the call accepted; a ServiceError it raises is the answer."""
    _handlers[action] = handler


class _Refused(Exception):
    def __init__(self, status: int, message: str, errors: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors


def inbound_receive(*, slug: str, body: bytes, headers: dict, remote_addr: str | None) -> tuple[int, dict]:
    """Check, log and act on one inbound call. Returns (HTTP status, JSON body)."""
    headers = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    delivery_id = headers.get("x-wms-delivery", "").strip()
    endpoint = InboundEndpoint.objects.select_related("run_as").filter(slug=slug).first()
    log = InboundDelivery(
        endpoint=endpoint, delivery_id=delivery_id[:DELIVERY_ID_MAX], remote_addr=(remote_addr or "")[:100]
    )
    try:
        case = _receive(endpoint, delivery_id, body, headers, log)
    except _Refused as refusal:
        # Outside any transaction of the attempt: the log row survives the refusal.
        log.accepted, log.reason, log.case_id = False, refusal.message, None
        log.save()
        logger.warning(
            "inbound call to %s refused (%s), delivery %r from %s: %s",
            slug,
            refusal.status,
            log.delivery_id,
            log.remote_addr,
            refusal.message,
        )
        answer = {"detail": refusal.message}
        if refusal.errors:
            answer["errors"] = refusal.errors
        return refusal.status, answer
    except Exception:
        # Whatever went wrong, the call is on record (the error itself goes to the server log).
        log.pk, log.accepted, log.reason, log.case_id = None, False, MSG_INTERNAL, None
        try:
            log.save()
        except Exception:  # the database itself may be what failed
            logger.exception("inbound call to %s: could not log the failed call", slug)
        raise
    return 202, {"case": case.pk, "delivery": delivery_id}


def _receive(endpoint, delivery_id: str, body: bytes, headers: dict, log: InboundDelivery):
    if endpoint is None:
        raise _Refused(404, MSG_UNKNOWN_ENDPOINT)
    if not endpoint.is_active:
        raise _Refused(404, MSG_INACTIVE_ENDPOINT)
    _verify(endpoint, delivery_id, body, headers, log)
    try:
        payload = json_loads_limited(body)
    except JSONTooDeep:
        raise _Refused(400, MSG_JSON_TOO_DEEP) from None
    except ValueError:  # not JSON, not UTF-8
        payload = None
    if not isinstance(payload, dict):
        raise _Refused(400, MSG_JSON_INVALID)
    if not endpoint.run_as.is_active:
        raise _Refused(403, MSG_RUN_AS_INACTIVE)
    if InboundDelivery.objects.filter(endpoint=endpoint, delivery_id=delivery_id, accepted=True).exists():
        raise _Refused(409, MSG_REPLAY)
    data = _map_fields(endpoint.field_map, payload)
    if endpoint.action == InboundAction.COMPLETE_STEP:
        return _complete_step(endpoint, delivery_id, payload, data, log)
    with _accepting(endpoint, delivery_id, log):
        case, created = case_start(
            workflow=endpoint.workflow,
            data=data,
            actor=endpoint.run_as,
            idempotency_key=f"hook:{endpoint.slug}:{delivery_id}",
        )
        if not created:  # a copy of this delivery raced us and won
            raise _Refused(409, MSG_REPLAY)
        log.accepted, log.reason, log.case_id = True, MSG_ACCEPTED.format(case=case.pk), case.pk
        log.save()
    return case


@contextmanager
def _accepting(endpoint, delivery_id: str, log: InboundDelivery):
    """Act on an accepted call in one transaction; a refusal by the services, or a racing copy
    accepted first (the accepted-once constraint), becomes the caller's answer."""
    try:
        with transaction.atomic():
            yield
    except ServiceError as error:
        raise _Refused(error.status_code, error.message, error.field_errors) from None
    except IntegrityError:
        accepted = InboundDelivery.objects.filter(endpoint=endpoint, accepted=True)
        if accepted.filter(delivery_id=delivery_id).exists():
            raise _Refused(409, MSG_REPLAY) from None
        if log.signature_digest and accepted.filter(signature_digest=log.signature_digest).exists():
            raise _Refused(409, MSG_REPLAY_SIGNATURE) from None
        raise


def _complete_step(endpoint, delivery_id: str, payload: dict, data: dict, log: InboundDelivery):
    found = _map_fields({"case": endpoint.case_path}, payload).get("case")
    case_id = str(found).strip() if isinstance(found, int | str) and not isinstance(found, bool) else ""
    if not case_id.isdigit() or len(case_id) > 18:
        raise _Refused(400, MSG_CASE_MISSING.format(path=endpoint.case_path))
    case = Case.objects.filter(pk=int(case_id), workflow_key=endpoint.workflow).only("pk").first()
    if case is None:
        raise _Refused(404, MSG_CASE_UNKNOWN.format(case=case_id))
    with _accepting(endpoint, delivery_id, log):
        _handlers[InboundAction.COMPLETE_STEP](
            case_id=case.pk, step_key=endpoint.step, data=data, actor=endpoint.run_as, delivery=delivery_id
        )
        log.accepted, log.reason, log.case_id = True, MSG_RESUMED.format(case=case.pk, step=endpoint.step), case.pk
        log.save()
    return case


def _verify(endpoint, delivery_id: str, body: bytes, headers: dict, log: InboundDelivery) -> None:
    timestamp, signature = headers.get("x-wms-timestamp", "").strip(), headers.get("x-wms-signature", "").strip()
    if not timestamp or not signature:
        raise _Refused(401, MSG_SIGNATURE_MISSING)
    if not re.fullmatch(r"[0-9]{1,12}", timestamp):
        raise _Refused(401, MSG_TIMESTAMP_INVALID)
    if not delivery_id:
        raise _Refused(400, MSG_DELIVERY_MISSING)
    if len(delivery_id) > DELIVERY_ID_MAX:
        raise _Refused(400, MSG_DELIVERY_TOO_LONG)
    # Defence in depth beside the signed delivery id: signed content accepted once is a replay.
    # Checked within the window only (an older timestamp is refused as stale anyway).
    log.signature_digest = hashlib.sha256(signature.encode()).hexdigest()
    since = log.received - timedelta(seconds=2 * TIMESTAMP_TOLERANCE)
    accepted_as = (
        InboundDelivery.objects.filter(
            endpoint=endpoint, accepted=True, signature_digest=log.signature_digest, received__gte=since
        )
        .values_list("delivery_id", flat=True)
        .first()
    )
    if accepted_as is not None:
        raise _Refused(409, MSG_REPLAY if accepted_as == delivery_id else MSG_REPLAY_SIGNATURE)
    expected = webhook_sign(secret=endpoint.secret, delivery=delivery_id, timestamp=int(timestamp), body=body)
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        if hmac.compare_digest(signature.encode(), _sign_unbound(endpoint.secret, timestamp, body).encode()):
            raise _Refused(401, MSG_SIGNATURE_UNBOUND)
        raise _Refused(401, MSG_SIGNATURE_INVALID)
    age = time.time() - int(timestamp)
    if age > TIMESTAMP_TOLERANCE:
        raise _Refused(401, MSG_TIMESTAMP_STALE)
    if age < -TIMESTAMP_TOLERANCE:
        raise _Refused(401, MSG_TIMESTAMP_FUTURE)


def _sign_unbound(secret: str, timestamp: str, body: bytes) -> str:
    """The first scheme (no delivery id), recognised only to tell its senders what changed."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _map_fields(field_map: dict, payload: dict) -> dict:
    """Case field -> value at the dotted path; a path not in the body leaves the field out (the
    workflow's own validation then names it if it is required)."""
    data = {}
    for field, path in field_map.items():
        try:
            data[field] = path_value(payload, path)
        except KeyError:
            continue
    return data
