"""Reads about notifications: a person's list, the header badge, failed e-mail deliveries."""

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from .models import EmailStatus, Notification


def notifications_for_user(*, user) -> QuerySet[Notification]:
    """The user's notifications, unread first, newest first."""
    unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    return Notification.objects.filter(user=user).alias(unread=unread).order_by("-unread", "-created", "-pk")


def unread_count(*, user) -> int:
    """One COUNT on the (user, read_at) index; the header badge calls it on every page."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def failed_deliveries() -> QuerySet[Notification]:
    """E-mails that failed, still being retried or given up, newest first."""
    return (
        Notification.objects.filter(email_status=EmailStatus.FAILED).select_related("user").order_by("-created", "-pk")
    )
