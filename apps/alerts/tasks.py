"""q2 entry points (thin: the work is in services)."""

from django.db import transaction

from . import services


def check():
    with transaction.atomic():
        return services.alerts_check()


def digest():
    with transaction.atomic():
        return services.digest_send()
