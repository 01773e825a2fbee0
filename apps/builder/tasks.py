"""q2 entry points (thin: the work is in reviews.py)."""

from django.db import transaction

from . import reviews


def review_reminders():
    with transaction.atomic():
        return reviews.review_reminders_send()
