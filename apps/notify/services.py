"""Sending notifications and delivering their e-mails.

`notification_send` runs inside the caller's transaction and only writes rows; the e-mail leaves
after commit through django-q2, so a rolled-back decision never mails anyone. Each row is its own
outbox entry: `notification_deliver` holds the row lock while it sends, so a notification is
mailed at most once even when two workers deliver it at the same moment, and the retry sweep
picks up whatever a failed send or a lost queue message left behind.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models.constants import OnConflict
from django.utils import timezone
from django_q.tasks import async_task

from apps.core.errors import Conflict, NotAllowed, NotFound
from apps.core.outbox import enqueue_after_commit, outbox_add, outbox_lease_due

from .models import EmailStatus, Kind, Notification
from .policy import user_can_manage_deliveries

logger = logging.getLogger(__name__)

DELIVER_TASK = "apps.notify.tasks.deliver"
OUTBOX_KIND = "notify.deliver"
MAX_ATTEMPTS = 5
BACKOFF_MINUTES = (1, 2, 4, 8, 16)  # after the 1st, 2nd, ... failed attempt
# A pending e-mail whose queue message was lost (broker down, worker killed) is swept up after this.
PENDING_GRACE = timedelta(minutes=5)
# The sweep leases the rows it queues, so the next sweep does not queue them again meanwhile.
DELIVER_CHUNK = 20  # e-mails per queued task: well inside the q2 task timeout

MSG_OUTSIDE_TRANSACTION = "notification_send runs inside the transaction of the change it reports"
MSG_BAD_KIND = "Unknown notification kind {kind!r}."
MSG_BAD_KEY = "A notification needs a dedupe key of at most 200 characters."
MSG_BAD_URL = "A notification links to a portal path such as /tasks/12/, not {url!r}."
MSG_NOT_FOUND = "No such notification."
MSG_RETRY_NOT_ALLOWED = "Only operators and administrators can retry e-mail deliveries."
MSG_RETRY_NOT_FAILED = "That e-mail is not waiting for a retry: it was sent meanwhile or needs no sending."
MSG_NO_ADDRESS = "The user has no e-mail address."
MSG_INACTIVE = "The user is no longer active."

SUBJECT_MAX = Notification._meta.get_field("subject").max_length
URL_MAX = Notification._meta.get_field("url").max_length
KEY_MAX = Notification._meta.get_field("dedupe_key").max_length


def notification_send(
    *,
    users: Iterable,
    kind: str,
    subject: str,
    body: str = "",
    url: str = "",
    case=None,
    task=None,
    dedupe_key: str,
) -> list[Notification]:
    """Notify each distinct active user once per `dedupe_key`; mail them after commit.

    Returns the rows this call created: a user already notified under the same key (by an
    earlier sweep, or a retried job) is left out and gets nothing twice. Users without an
    e-mail address see the notification in the portal only (`email_status` "skipped").
    Two queries (INSERT, SELECT) plus, after commit, one queued delivery task.
    """
    assert connection.in_atomic_block, MSG_OUTSIDE_TRANSACTION
    if kind not in Kind.values:
        raise ValueError(MSG_BAD_KIND.format(kind=kind))
    if not dedupe_key or len(dedupe_key) > KEY_MAX:
        raise ValueError(MSG_BAD_KEY)
    if url and not _is_portal_path(url):
        raise ValueError(MSG_BAD_URL.format(url=url))
    recipients = {}
    for user in users:
        if user is not None and user.is_active and user.pk not in recipients:
            recipients[user.pk] = user
    if not recipients:
        return []
    now = timezone.now()
    subject = _one_line(subject, SUBJECT_MAX)
    rows = {
        user.pk: Notification(
            user=user,
            kind=kind,
            subject=subject,
            body=body,
            url=url,
            case_id=_pk(case),
            task_id=_pk(task),
            created=now,
            dedupe_key=dedupe_key,
            email_status=EmailStatus.PENDING if _may_have_address(user) else EmailStatus.SKIPPED,
            email_last_error="" if _may_have_address(user) else MSG_NO_ADDRESS,
            next_attempt_at=now + PENDING_GRACE if _may_have_address(user) else None,
        )
        for user in recipients.values()
    }
    created = []
    for pk, user_id in _insert_new(list(rows.values())):
        notification = rows[user_id]
        notification.pk = pk
        notification._state.adding, notification._state.db = False, "default"
        created.append(notification)
    to_mail = [n.pk for n in created if n.email_status == EmailStatus.PENDING]
    outbox_add(OUTBOX_KIND, to_mail, task=DELIVER_TASK, chunk=DELIVER_CHUNK, enqueue=_enqueue_delivery)
    return created


def notification_send_to_address(
    *, address: str, kind: str, subject: str, body: str, case=None, dedupe_key: str
) -> Notification | None:
    """E-mail someone outside the organisation (a customer contact named by a case field) once
    per `dedupe_key`, after commit, through the same outbox, retries and failed list as people's
    notifications. None when that address was already told under the key."""
    assert connection.in_atomic_block, MSG_OUTSIDE_TRANSACTION
    if kind not in Kind.values:
        raise ValueError(MSG_BAD_KIND.format(kind=kind))
    if not dedupe_key or len(dedupe_key) > KEY_MAX:
        raise ValueError(MSG_BAD_KEY)
    now = timezone.now()
    row = Notification(
        user=None,
        address=address,
        kind=kind,
        subject=_one_line(subject, SUBJECT_MAX),
        body=body,
        case_id=_pk(case),
        created=now,
        dedupe_key=dedupe_key,
        email_status=EmailStatus.PENDING,
        next_attempt_at=now + PENDING_GRACE,
    )
    inserted = _insert_new([row])
    if not inserted:
        return None
    row.pk = inserted[0][0]
    row._state.adding, row._state.db = False, "default"
    outbox_add(OUTBOX_KIND, [row.pk], task=DELIVER_TASK, chunk=DELIVER_CHUNK, enqueue=_enqueue_delivery)
    return row


def _may_have_address(user) -> bool:
    """Whether to plan an e-mail. NOTE: the engine hands over users it did not load (a stub
    `User(pk=..., username=...)` for an assigned approver, to save a query); their address is
    unknown here, not empty: the delivery reads the row and skips a user who has none."""
    return bool(user.email) or user._state.adding


def _insert_new(rows: list[Notification]) -> list[tuple[int, int]]:
    """INSERT the rows, skipping (user, dedupe_key) pairs that exist; (pk, user_id) of the new ones.

    NOTE: bulk_create(ignore_conflicts=True) hands back no primary keys, which cost a re-read
    (SELECT by key and timestamp). "INSERT ... ON CONFLICT DO NOTHING RETURNING" (PostgreSQL,
    SQLite 3.35+) returns exactly the rows it inserted; bulk_create builds that same statement
    through QuerySet._insert, called here with the returning fields it leaves out for conflicts.
    """
    fields = [f for f in Notification._meta.concrete_fields if not f.primary_key]
    returning = [Notification._meta.pk, Notification._meta.get_field("user")]
    with transaction.atomic(savepoint=False):
        returned = Notification.objects._insert(
            rows, fields=fields, returning_fields=returning, on_conflict=OnConflict.IGNORE
        )
    return [tuple(row) for row in returned or [] if row is not None]  # one row, ignored: [None]


def notification_deliver(*, notification_id: int) -> Notification | None:
    """Mail one notification, at most once.

    Returns the row as left, or None when there was nothing to do: it is gone, already sent,
    skipped, given up, or another worker holds it right now (and will send it).
    """
    with transaction.atomic():
        # NOTE: the lock is held while the backend sends, which is what makes a concurrent
        # second delivery skip the row instead of mailing it again. On SQLite it is a no-op
        # and SQLite's single writer serialises the two deliveries instead.
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or not _waiting_for_email(notification):
            return None
        fields = ["email_status", "email_attempts", "email_last_error", "email_sent_at", "next_attempt_at"]
        user = notification.user
        if user is not None and (not user.email or not user.is_active):
            notification.email_status = EmailStatus.SKIPPED
            notification.email_last_error = MSG_NO_ADDRESS if not user.email else MSG_INACTIVE
            notification.next_attempt_at = None
            notification.save(update_fields=fields)
            return notification
        now = timezone.now()
        notification.email_attempts += 1
        try:
            _email(notification).send()
        except Exception as error:  # whatever the backend raises is recorded and retried
            notification.email_status = EmailStatus.FAILED
            notification.email_last_error = f"{type(error).__name__}: {error}"[:2000]
            notification.next_attempt_at = _next_attempt(attempts=notification.email_attempts, now=now)
            logger.warning(
                "notification %s: e-mail attempt %s failed: %s",
                notification.pk,
                notification.email_attempts,
                notification.email_last_error,
            )
        else:
            notification.email_status = EmailStatus.SENT
            notification.email_sent_at = now
            notification.next_attempt_at = None
        notification.save(update_fields=fields)
    return notification


def notification_retry_due(*, at: datetime | None = None) -> int:
    """Queue delivery of e-mails due for a retry at `at` (now by default), and of pending ones
    whose queue message got lost; returns how many were queued. Safe to run concurrently."""
    return outbox_lease_due(
        queryset=Notification.objects.filter(email_status__in=[EmailStatus.PENDING, EmailStatus.FAILED]),
        at=at or timezone.now(),
        enqueue=_enqueue_delivery,
    )


def notification_retry(*, notification_id: int, actor) -> Notification:
    """An operator's "Retry now": one more attempt at a failed e-mail, even one given up."""
    if not user_can_manage_deliveries(user=actor):
        raise NotAllowed(MSG_RETRY_NOT_ALLOWED)
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None:
            raise NotFound(MSG_NOT_FOUND)
        if notification.email_status != EmailStatus.FAILED:
            raise Conflict(MSG_RETRY_NOT_FAILED)
        notification.email_status = EmailStatus.PENDING
        notification.next_attempt_at = timezone.now() + PENDING_GRACE
        notification.save(update_fields=["email_status", "next_attempt_at"])
        enqueue_after_commit(_enqueue_delivery, [notification.pk])
    logger.info("notification %s: e-mail retry requested by %s", notification.pk, actor.get_username())
    return notification


def notification_mark_read(*, user, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read; someone else's is not found."""
    notification = Notification.objects.filter(pk=notification_id, user=user).first()
    if notification is None:
        raise NotFound(MSG_NOT_FOUND)
    if notification.read_at is None:
        now = timezone.now()
        # Conditional, so a double click keeps the first moment it was read.
        if Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now):
            notification.read_at = now
    return notification


def notification_mark_all_read(*, user) -> int:
    """Mark every unread notification of the user read; returns how many."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


def _waiting_for_email(notification: Notification) -> bool:
    if notification.email_status == EmailStatus.PENDING:
        return True
    return notification.email_status == EmailStatus.FAILED and notification.next_attempt_at is not None


def _next_attempt(*, attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed tries; None once we give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + timedelta(minutes=BACKOFF_MINUTES[attempts - 1])


def _enqueue_delivery(ids: list[int]) -> None:
    for start in range(0, len(ids), DELIVER_CHUNK):
        async_task(DELIVER_TASK, ids[start : start + DELIVER_CHUNK])


def _email(notification: Notification) -> EmailMessage:
    portal = settings.PORTAL_URL.rstrip("/")
    parts = [notification.body.strip()] if notification.body.strip() else []
    if notification.url:
        parts.append(f"Open it in WMS: {portal}{notification.url}")
    if notification.user_id is None:  # a customer contact: no account, nothing to open
        parts = parts[:1]
    else:
        parts.append(
            f"-- \nYou get this e-mail because of your work in WMS. All your notifications: {portal}/notifications/"
        )
    return EmailMessage(
        subject=notification.subject,
        body="\n\n".join(parts),
        to=[notification.address or notification.user.email],
        headers={"Auto-Submitted": "auto-generated", "X-WMS-Notification": str(notification.pk)},
    )


def _is_portal_path(url: str) -> bool:
    """A path on this portal: no scheme, no host, nothing a browser would run."""
    return (
        len(url) <= URL_MAX
        and url.startswith("/")
        and not url.startswith("//")
        and "\\" not in url
        and url.isprintable()
        and " " not in url
    )


def _one_line(text: str, limit: int) -> str:
    """Mail headers take one line; long subjects are cut with an ellipsis."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pk(value) -> int | None:
    if value is None or isinstance(value, int):
        return value
    return value.pk
