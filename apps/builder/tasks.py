"""q2 entry points (thin: the work is in reviews.py)."""

from . import reviews


def review_reminders():
    return reviews.review_reminders_send()
