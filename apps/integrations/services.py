"""Outbound webhooks: publishing case events, delivering them signed, retrying, redelivering.

`event_publish` runs inside the caller's transaction; nothing leaves before commit, so a
rolled-back decision tells no receiver anything. Where the fan-out (which subscriptions listen,
one delivery row each) happens depends on what makes the event durable:

- Inside a unit of work whose queue message is written in the transaction (django-q2's ORM
  broker, apps.core.outbox): the event, its payload captured at publish time, rides in that
  message, and the worker fans it out (`webhook_fan_out`). The message commits with the change,
  and q2 hands an unacknowledged one out again, so it is as durable as a row; the request reads
  no subscriptions and writes no rows. Only a unit whose message would carry nothing but events
  reads them once (`_anyone_listens`), so that nobody listening costs no queue message.
  Why not a per-process cache of the subscriptions: telling other processes that one changed
  costs a query per call too (a version stamp), and a stale cache silently drops events.
  NOTE: the worker fans out against the subscriptions of that moment (seconds later): one
  created meanwhile gets the event, one deactivated meanwhile gets no dead row.
- Otherwise (Redis broker, q2's sync mode in tests, a plain `transaction.atomic()` caller): the
  delivery rows are written here, in the transaction, as before, and are the durable record.

Each delivery row is its own outbox entry: `webhook_deliver` holds the row lock while it posts, so
one delivery is never sent twice at once, and the retry sweep picks up what a failure or a lost
queue message left.

Signature scheme (what a receiver checks; see README "Webhooks"; inbound.py checks the same):

    X-WMS-Delivery:  <UUID, the same for every attempt and redelivery of one event>
    X-WMS-Timestamp: <unix seconds when this attempt was sent>
    X-WMS-Signature: sha256=<hex HMAC-SHA256(key=secret, msg=f"{delivery}.{timestamp}.{raw body}")>

The receiver recomputes the HMAC over the delivery id, the timestamp and the raw request body,
compares it in constant time, rejects timestamps older than a few minutes, and deduplicates on
`X-WMS-Delivery`: retries and operators' redeliveries carry the same delivery id, and since it is
signed, a captured delivery cannot be passed off as a new one by changing it. (The first scheme
signed f"{timestamp}.{raw body}" only; a WMS receiving it refuses it saying so.)
"""

import hashlib
import hmac
import http.client
import json
import logging
import random
import secrets
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.utils import timezone
from django_q.tasks import async_task

from apps.audit.services import audit_record
from apps.cases.taskinfo import task_info
from apps.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from apps.core.netguard import AddressRefused, guarded_opener, url_problem
from apps.core.outbox import enqueue_after_commit, outbox_add, outbox_in_transaction, outbox_lease_due

from .calls import NoRedirects, retry_after_parse
from .models import EVENTS, DeliveryStatus, WebhookDelivery, WebhookSubscription
from .policy import user_can_manage_webhooks, user_can_watch_deliveries

logger = logging.getLogger(__name__)

DELIVER_TASK = "apps.integrations.tasks.deliver"
DELIVER_KIND = "webhooks.deliver"
PUBLISH_TASK = "apps.integrations.tasks.publish"
PUBLISH_KIND = "webhooks.publish"
PUBLISH_CHUNK = 50  # events per fan-out; their deliveries are sent DELIVER_CHUNK at a time
BACKOFF_MINUTES = (1, 2, 4, 8, 16)  # after the 1st, 2nd, ... failed attempt; doubling beyond, capped
BACKOFF_CAP_MINUTES = 60
JITTER = 0.2  # ± 20 %, so receivers coming back are not hit by every retry at once
RETRY_AFTER_CAP = timedelta(hours=24)
# A pending delivery whose queue message was lost (broker down, worker killed) is swept up after this.
PENDING_GRACE = timedelta(minutes=5)
# The sweep leases the rows it queues, so the next sweep does not queue them again meanwhile.
# Deliveries per queued task: 5 x WEBHOOK_TIMEOUT_SECONDS (10 s) stays inside the q2 task timeout (60 s).
DELIVER_CHUNK = 5
RESPONSE_MAX = 2000
SECRET_BYTES = 32
SECRET_MIN_LENGTH = 24
USER_AGENT = "WMS-Webhooks/1"

# Audit actions (free text in the audit trail; see the report about adding them to audit.Action).
AUDIT_SUBSCRIBED = "webhook.subscribed"
AUDIT_CHANGED = "webhook.changed"
AUDIT_DEACTIVATED = "webhook.deactivated"
AUDIT_REDELIVERED = "webhook.redelivered"
AUDIT_TESTED = "webhook.tested"
TEST_EVENT = "ping"
MSG_TEST_INACTIVE = "This subscription is inactive: activate it to send it a test event."

MSG_OUTSIDE_TRANSACTION = "event_publish runs inside the transaction of the change it reports"
MSG_UNKNOWN_EVENT = "Unknown webhook event {name!r}."
MSG_NAME_REQUIRED = "Give the subscription a name."
MSG_NAME_TOO_LONG = "A name has at most 100 characters."
MSG_URL_INVALID = "Enter a full http:// or https:// URL."
MSG_URL_TOO_LONG = "A URL has at most 500 characters."
MSG_EVENTS_REQUIRED = "Choose at least one event."
MSG_EVENTS_UNKNOWN = "Unknown event(s): {names}. Known events: " + ", ".join(EVENTS) + "."
MSG_SECRET_SHORT = f"A secret has at least {SECRET_MIN_LENGTH} characters; leave it empty to have one generated."
MSG_SECRET_LONG = "A secret has at most 200 characters."
MSG_INVALID = "The subscription is not valid: {fields}."
MSG_MANAGE_NOT_ALLOWED = "Only integrators and administrators can manage webhook subscriptions."
MSG_WATCH_NOT_ALLOWED = "Only operators, integrators and administrators can see webhook deliveries."
MSG_REDELIVER_DELIVERED_NOT_ALLOWED = "Only integrators and administrators can send a delivered webhook again."
MSG_NOT_FOUND = "No such webhook subscription."
MSG_DELIVERY_NOT_FOUND = "No such webhook delivery."
MSG_REDELIVER_BUSY = "That delivery is still on its way: it can be sent again once delivered or dead."
MSG_REDELIVER_INACTIVE = "The subscription is deactivated: activate it before sending its deliveries again."
MSG_INACTIVE = "Not sent: the subscription was deactivated."
MSG_REDIRECT = "The receiver answered with a redirect ({code}); webhooks do not follow redirects."
MSG_REFUSED = "The receiver refused the delivery ({code})."
MSG_GAVE_UP = "Gave up after {attempts} attempts."
MSG_ADDRESS_REFUSED = "Not sent: {reason}"

# Receivers are checked against apps.core.netguard's address rule when saved and, resolved
# again, on every attempt; the socket connects to the checked address. No redirects either.
_opener = guarded_opener(NoRedirects)


# --- publishing -------------------------------------------------------------------------------


def event_publish(*, name: str, case, task=None, data: dict | None = None) -> list[WebhookDelivery]:
    """Record event `name` for every active subscription listening to it; returns the deliveries
    recorded now (none when the fan-out is left to the worker, see the module docstring).

    Call it inside the transaction of the change it reports; nothing leaves before commit. The
    payload (moment, case, task, data) is captured here, as the receiver will see it.
    """
    assert connection.in_atomic_block, MSG_OUTSIDE_TRANSACTION
    if name not in EVENTS:
        raise ValueError(MSG_UNKNOWN_EVENT.format(name=name))
    now = timezone.now()
    if outbox_in_transaction():
        event = {"id": str(uuid.uuid4()), "created": now.isoformat(), "body": _body(name, now, case, task, data)}
        outbox_add(
            PUBLISH_KIND, [event], task=PUBLISH_TASK, chunk=PUBLISH_CHUNK, enqueue=_unused, needed=_anyone_listens
        )
        return []
    # NOTE: filtered in Python: SQLite has no JSON "contains"; subscriptions are few. One service
    # call publishes several events of one case (started, task created, ...): the active
    # subscriptions are read once and kept on the in-memory case for the rest of that call.
    active = getattr(case, "_webhook_subscriptions", None)
    if active is None:
        active = _active_subscriptions()
        case._webhook_subscriptions = active
    listeners = [pk for pk, events in active if name in (events or [])]
    if not listeners:
        return []
    body = _body(name, now, case, task, data)
    deliveries = [_delivery(subscription_id=pk, name=name, created=now, body=body, now=now) for pk in listeners]
    WebhookDelivery.objects.bulk_create(deliveries)
    outbox_add(
        DELIVER_KIND, [d.pk for d in deliveries], task=DELIVER_TASK, chunk=DELIVER_CHUNK, enqueue=_enqueue_delivery
    )
    return deliveries


def webhook_fan_out(*, events: list[dict]) -> list[int]:
    """The worker's half of a deferred `event_publish`: one delivery per event and listening
    subscription; returns the ids of those still pending, oldest first.

    Idempotent: a delivery's id is derived from the event's id and the subscription's, so a
    queue message handled twice (a worker killed halfway, q2 retrying) records nothing twice.
    """
    active, now = _active_subscriptions(), timezone.now()
    deliveries = []
    for event in events:
        body, created = event["body"], datetime.fromisoformat(event["created"])
        for pk, names in active:
            if body["event"] in (names or []):
                delivery_id = uuid.uuid5(uuid.UUID(event["id"]), str(pk))
                deliveries.append(
                    _delivery(
                        subscription_id=pk, name=body["event"], created=created, body=body, now=now, uid=delivery_id
                    )
                )
    if not deliveries:
        return []
    with transaction.atomic():
        WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        return list(
            WebhookDelivery.objects.filter(
                delivery_id__in=[d.delivery_id for d in deliveries], status=DeliveryStatus.PENDING
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def _anyone_listens(events: list[dict]) -> bool:
    """Whether a unit whose message would carry only these events needs one (one query)."""
    names = {event["body"]["event"] for event in events}
    return any(names.intersection(listened or []) for _pk, listened in _active_subscriptions())


def _active_subscriptions() -> list[tuple[int, list]]:
    return list(WebhookSubscription.objects.filter(is_active=True).values_list("pk", "events"))


def _body(name: str, now: datetime, case, task, data) -> dict:
    return {
        "event": name,
        "occurred_at": now.isoformat(),
        "case": _case_repr(case),
        "task": _task_repr(task) if task is not None else None,
        # Decimals, dates and the like become strings once, here, as the receiver will see them.
        "data": json.loads(json.dumps(data, cls=DjangoJSONEncoder)) if data is not None else None,
    }


def _delivery(
    *, subscription_id: int, name: str, created: datetime, body: dict, now: datetime, uid=None
) -> WebhookDelivery:
    delivery = WebhookDelivery(
        subscription_id=subscription_id,
        event=name,
        created=created,
        next_attempt_at=now + PENDING_GRACE,
        **({"delivery_id": uid} if uid is not None else {}),
    )
    delivery.payload = {"event": name, "delivery_id": str(delivery.delivery_id), **body}
    return delivery


def _unused(items: list) -> None:
    raise AssertionError("deferred events only exist inside a unit of work")


def _case_repr(case) -> dict:
    return {
        "id": case.pk,
        "workflow": case.workflow_key,
        "version": case.version_number,
        "status": case.status_label,
        "outcome": case.outcome,
        "state": case.state,
    }


def _task_repr(task) -> dict:
    info = task_info(task)
    return {
        "id": task.pk,
        "name": info.label or None,
        "kind": info.kind,
        "decision": info.decision or None,
    }


# --- delivering -------------------------------------------------------------------------------


def webhook_sign(*, secret: str, delivery: str, timestamp: int, body: bytes) -> str:
    """The X-WMS-Signature value: sha256=<hex HMAC-SHA256 of b"{delivery}.{timestamp}.{body}">."""
    message = f"{delivery}.{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_deliver(*, delivery_id: int) -> WebhookDelivery | None:
    """POST one delivery, once; record the answer and when to try again.

    Returns the row as left, or None when there was nothing to do: it is gone, delivered, dead,
    or another worker holds it right now (and is sending it).
    """
    with transaction.atomic():
        # NOTE: the lock is held while we post (at most WEBHOOK_TIMEOUT_SECONDS per socket
        # operation), which is what makes a concurrent second delivery skip the row instead of
        # sending it again. On SQLite it is a no-op and the single writer serialises instead.
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status not in (DeliveryStatus.PENDING, DeliveryStatus.RETRYING):
            return None
        fields = [
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "last_response",
            "delivered_at",
        ]
        if not delivery.subscription.is_active:
            delivery.status, delivery.next_attempt_at, delivery.last_error = DeliveryStatus.DEAD, None, MSG_INACTIVE
            delivery.save(update_fields=fields)
            return delivery
        delivery.attempts += 1
        code, response, error, retry_after = _post(delivery)
        now = timezone.now()
        delivery.last_status_code, delivery.last_response, delivery.last_error = code, response, error
        if isinstance(error, AddressRefused):
            # The receiver's name points somewhere it may not (now): trying again will not help.
            delivery.status, delivery.next_attempt_at = DeliveryStatus.DEAD, None
            delivery.last_error = MSG_ADDRESS_REFUSED.format(reason=error)
        elif code is not None and 200 <= code < 300:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, now, None
        elif code is not None and code < 500 and code not in (408, 429):
            # The receiver understood and refused (or moved): sending it again will not help.
            delivery.status, delivery.next_attempt_at = DeliveryStatus.DEAD, None
        else:
            delivery.next_attempt_at = _next_attempt(attempts=delivery.attempts, now=now, retry_after=retry_after)
            delivery.status = DeliveryStatus.RETRYING if delivery.next_attempt_at else DeliveryStatus.DEAD
            if delivery.next_attempt_at is None:
                delivery.last_error = f"{delivery.last_error} {MSG_GAVE_UP.format(attempts=delivery.attempts)}".strip()
        if delivery.status != DeliveryStatus.DELIVERED:
            logger.warning("webhook delivery %s: attempt %s: %s", delivery.pk, delivery.attempts, delivery.last_error)
        delivery.save(update_fields=fields)
    return delivery


def _post(delivery: WebhookDelivery) -> tuple[int | None, str, str, timedelta | None]:
    """Send it; returns (status code or None, response text, error, Retry-After). The error is
    the AddressRefused itself when the receiver's address may not be called."""
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(time.time())
    request = urllib.request.Request(
        delivery.subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-WMS-Event": delivery.event,
            "X-WMS-Delivery": str(delivery.delivery_id),
            "X-WMS-Timestamp": str(timestamp),
            "X-WMS-Signature": webhook_sign(
                secret=delivery.subscription.secret, delivery=str(delivery.delivery_id), timestamp=timestamp, body=body
            ),
        },
    )
    timeout = getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10)
    try:
        with _opener.open(request, timeout=timeout) as answer:
            return answer.status, _text(answer.read(RESPONSE_MAX)), "", None
    except urllib.error.HTTPError as answer:
        code = answer.code
        text = _text(answer.read(RESPONSE_MAX)) if answer.fp else ""
        answer.close()
        if 300 <= code < 400:
            error = MSG_REDIRECT.format(code=code)
        elif code < 500 and code not in (408, 429):
            error = MSG_REFUSED.format(code=code)
        else:
            error = f"HTTP {code}"
        return (
            code,
            text,
            error,
            retry_after_parse(answer.headers.get("Retry-After"), cap=RETRY_AFTER_CAP) if code == 429 else None,
        )
    except (OSError, http.client.HTTPException, ValueError) as failure:  # timeouts, refused connections, bad answers
        reason = getattr(failure, "reason", failure)
        if isinstance(reason, AddressRefused):
            return None, "", reason, None
        return None, "", f"{type(reason).__name__}: {reason}"[:RESPONSE_MAX], None


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")[:RESPONSE_MAX]


def _max_attempts() -> int:
    return getattr(settings, "WEBHOOK_MAX_ATTEMPTS", 6)


def _next_attempt(*, attempts: int, now: datetime, retry_after: timedelta | None = None) -> datetime | None:
    """When to try again after `attempts` failed tries (the receiver's Retry-After wins); None once we give up."""
    if attempts >= _max_attempts():
        return None
    if retry_after is not None:
        return now + retry_after
    minutes = BACKOFF_MINUTES[attempts - 1] if attempts <= len(BACKOFF_MINUTES) else BACKOFF_CAP_MINUTES
    minutes = min(minutes, BACKOFF_CAP_MINUTES)
    return now + timedelta(minutes=minutes * random.uniform(1 - JITTER, 1 + JITTER))


def _enqueue_delivery(ids: list[int]) -> None:
    for start in range(0, len(ids), DELIVER_CHUNK):
        async_task(DELIVER_TASK, ids[start : start + DELIVER_CHUNK])


def webhook_retry_due(*, at: datetime | None = None) -> int:
    """Queue deliveries due for a retry at `at` (now by default), and pending ones whose queue
    message got lost; returns how many were queued. Safe to run concurrently."""
    return outbox_lease_due(
        queryset=WebhookDelivery.objects.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING]),
        at=at or timezone.now(),
        enqueue=_enqueue_delivery,
    )


def subscription_test_send(*, subscription_id: int, actor) -> WebhookDelivery:
    """Send a subscription a "ping" event, signed and retried like any delivery, so its owner can
    check the receiver (URL, signature check) without waiting for a real case. Audited."""
    if not user_can_manage_webhooks(user=actor):
        raise NotAllowed(MSG_MANAGE_NOT_ALLOWED)
    with transaction.atomic():
        subscription = WebhookSubscription.objects.filter(pk=subscription_id).first()
        if subscription is None:
            raise NotFound(MSG_NOT_FOUND)
        if not subscription.is_active:
            raise Conflict(MSG_TEST_INACTIVE)
        now = timezone.now()
        delivery = WebhookDelivery(subscription=subscription, event=TEST_EVENT, created=now, next_attempt_at=now)
        delivery.payload = {
            "event": TEST_EVENT,
            "delivery_id": str(delivery.delivery_id),
            "occurred_at": now.isoformat(),
            "subscription": {"id": subscription.pk, "name": subscription.name},
            "case": None,
            "task": None,
            "data": {"message": f"A test event from the WMS, sent by {actor.get_username()}."},
        }
        delivery.save()
        audit_record(
            action=AUDIT_TESTED,
            actor=actor,
            data={"delivery": str(delivery.delivery_id)},
            context={"subscription": subscription.pk},
        )
        enqueue_after_commit(_enqueue_delivery, [delivery.pk])
    return delivery


def webhook_redeliver(*, delivery_id: int, actor) -> WebhookDelivery:
    """Send a dead (or delivered) delivery again, with the same delivery id and fresh attempts."""
    if not user_can_watch_deliveries(user=actor):
        raise NotAllowed(MSG_WATCH_NOT_ALLOWED)
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update().select_related("subscription").filter(pk=delivery_id).first()
        )
        if delivery is None:
            raise NotFound(MSG_DELIVERY_NOT_FOUND)
        if delivery.status == DeliveryStatus.DELIVERED and not user_can_manage_webhooks(user=actor):
            raise NotAllowed(MSG_REDELIVER_DELIVERED_NOT_ALLOWED)
        if delivery.status not in (DeliveryStatus.DEAD, DeliveryStatus.DELIVERED):
            raise Conflict(MSG_REDELIVER_BUSY)
        if not delivery.subscription.is_active:
            raise Conflict(MSG_REDELIVER_INACTIVE)
        previous = delivery.status
        delivery.status = DeliveryStatus.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = timezone.now() + PENDING_GRACE
        delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
        audit_record(
            action=AUDIT_REDELIVERED,
            actor=actor,
            data={"delivery": str(delivery.delivery_id), "event": delivery.event, "previous_status": previous},
            context={"subscription": delivery.subscription_id, "case": (delivery.payload.get("case") or {}).get("id")},
        )
        enqueue_after_commit(_enqueue_delivery, [delivery.pk])
    return delivery


# --- subscriptions ----------------------------------------------------------------------------


def subscription_create(
    *, actor, name: str, url: str, events: list[str], secret: str = "", is_active: bool = True
) -> WebhookSubscription:
    """Subscribe a receiver. The secret (generated when empty) is readable on the returned
    object: show it once, the portal and the API never show it again."""
    _may_manage(actor)
    cleaned = _clean(name=name, url=url, events=events, secret=secret, secret_given=True)
    with transaction.atomic():
        subscription = WebhookSubscription(
            name=cleaned["name"],
            url=cleaned["url"],
            events=cleaned["events"],
            secret=cleaned["secret"] or "whsec_" + secrets.token_urlsafe(SECRET_BYTES),
            is_active=bool(is_active),
            created_by=actor,
        )
        subscription.save()
        audit_record(
            action=AUDIT_SUBSCRIBED,
            actor=actor,
            data=_audit_data(subscription),
            context={"subscription": subscription.pk},
        )
    return subscription


def subscription_update(
    *,
    actor,
    subscription_id: int,
    name: str | None = None,
    url: str | None = None,
    events: list[str] | None = None,
    is_active: bool | None = None,
) -> WebhookSubscription:
    """Change what is given (None leaves a field as it is). The secret is never changed here."""
    _may_manage(actor)
    with transaction.atomic():
        subscription = WebhookSubscription.objects.select_for_update().filter(pk=subscription_id).first()
        if subscription is None:
            raise NotFound(MSG_NOT_FOUND)
        cleaned = _clean(
            name=subscription.name if name is None else name,
            url=subscription.url if url is None else url,
            events=subscription.events if events is None else events,
        )
        before = _audit_data(subscription)
        subscription.name, subscription.url, subscription.events = cleaned["name"], cleaned["url"], cleaned["events"]
        if is_active is not None:
            subscription.is_active = bool(is_active)
        subscription.save(update_fields=["name", "url", "events", "is_active"])
        after = _audit_data(subscription)
        changes = {key: {"from": before[key], "to": after[key]} for key in after if before[key] != after[key]}
        if changes:
            audit_record(action=AUDIT_CHANGED, actor=actor, data=changes, context={"subscription": subscription.pk})
    return subscription


def subscription_deactivate(*, actor, subscription_id: int) -> WebhookSubscription:
    """Stop sending to a receiver; its history stays. Deliveries not yet sent end up dead."""
    _may_manage(actor)
    with transaction.atomic():
        subscription = WebhookSubscription.objects.select_for_update().filter(pk=subscription_id).first()
        if subscription is None:
            raise NotFound(MSG_NOT_FOUND)
        if subscription.is_active:
            subscription.is_active = False
            subscription.save(update_fields=["is_active"])
            audit_record(
                action=AUDIT_DEACTIVATED,
                actor=actor,
                data=_audit_data(subscription),
                context={"subscription": subscription.pk},
            )
    return subscription


def _may_manage(actor) -> None:
    if not user_can_manage_webhooks(user=actor):
        raise NotAllowed(MSG_MANAGE_NOT_ALLOWED)


def _audit_data(subscription: WebhookSubscription) -> dict:
    # Never the secret: the audit trail is read by auditors.
    return {
        "name": subscription.name,
        "url": subscription.url,
        "events": list(subscription.events),
        "is_active": subscription.is_active,
    }


def _clean(*, name, url, events, secret: str = "", secret_given: bool = False) -> dict:
    """Check every field and report all problems at once, each under its field's name."""
    errors: dict[str, list[str]] = {}
    name = " ".join(str(name or "").split())
    if not name:
        errors["name"] = [MSG_NAME_REQUIRED]
    elif len(name) > 100:
        errors["name"] = [MSG_NAME_TOO_LONG]
    url = str(url or "").strip()
    if len(url) > 500:
        errors["url"] = [MSG_URL_TOO_LONG]
    else:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            errors["url"] = [MSG_URL_INVALID]
        else:
            problem = url_problem(url)  # this machine, private networks, cloud metadata
            if problem:
                errors["url"] = [problem]
    if isinstance(events, str):
        events = [events]
    if not isinstance(events, list | tuple) or not events:
        errors["events"] = [MSG_EVENTS_REQUIRED]
        events = []
    else:
        unknown = [str(e) for e in events if e not in EVENTS]
        if unknown:
            errors["events"] = [MSG_EVENTS_UNKNOWN.format(names=", ".join(unknown))]
        events = [e for e in EVENTS if e in events]  # known order, no duplicates
    secret = str(secret or "")
    if secret_given and secret and len(secret) < SECRET_MIN_LENGTH:
        errors["secret"] = [MSG_SECRET_SHORT]
    elif len(secret) > 200:
        errors["secret"] = [MSG_SECRET_LONG]
    if errors:
        raise ValidationFailed(MSG_INVALID.format(fields=", ".join(errors)), field_errors=errors)
    return {"name": name, "url": url, "events": events, "secret": secret}
