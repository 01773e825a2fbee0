"""E-mail backends that fail, for delivery tests (selected with override_settings)."""

import smtplib
import time

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class FailingBackend(BaseEmailBackend):
    """Every send fails as an unreachable SMTP server would."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPConnectError(421, "mail.example.com: service not available")


class FlakyBackend(LocmemBackend):
    """Fails the first `failures` sends (class-wide), then delivers to mail.outbox."""

    failures = 0

    def send_messages(self, email_messages):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(email_messages)


class SlowBackend(LocmemBackend):
    """Takes a moment to send, as SMTP does: wide enough for racing deliveries to overlap."""

    def send_messages(self, email_messages):
        time.sleep(0.3)
        return super().send_messages(email_messages)
