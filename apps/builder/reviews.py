"""Review cadence: owners are reminded, once per due review, that a workflow is due for review.

Lives in the builder because it tells people through apps.notify (a feature app), which
`definitions` (below it) may not import. The daily schedule is in schedules.py.
"""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.definitions.selectors import definition_owners, definitions_review_due
from apps.notify.models import Kind
from apps.notify.services import notification_send

MSG_REMINDER = "{name} is due for review (since {due:%d %b %Y})"
MSG_REMINDER_BODY = (
    "Check that the workflow still fits the work: its rules, approvers, texts and open feedback. "
    'Then record "Reviewed, no change", or change it and publish.'
)


def review_reminders_send(*, on=None) -> int:
    """Remind the owners of every workflow due for review. The dedupe key names the due date, so
    each due review reminds each owner once, however many days it stays due; recording the
    review moves the date, and the next due date reminds again. Returns the people told."""
    on = on or timezone.localdate()
    told = 0
    with transaction.atomic():
        for definition in definitions_review_due(on=on):
            told += len(
                notification_send(
                    users=definition_owners(key=definition.key),
                    kind=Kind.REMINDER,
                    subject=MSG_REMINDER.format(name=definition.name, due=definition.next_review),
                    body=MSG_REMINDER_BODY,
                    url=reverse("builder:definition", args=[definition.key]),
                    dedupe_key=f"review:{definition.pk}:{definition.next_review.isoformat()}",
                )
            )
    return told
