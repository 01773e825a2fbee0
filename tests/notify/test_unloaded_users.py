"""A user the engine did not load (a stub with only the primary key) is still e-mailed: the
address is read when the e-mail is delivered, not guessed from the stub."""

from django.contrib.auth import get_user_model
from django.core import mail

from apps.notify.models import Notification


def test_a_stub_user_is_mailed_at_their_address(notify, users):
    stub = get_user_model()(pk=users["bob"].pk, username="bob")
    (created,) = notify([stub])
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]
    assert Notification.objects.get(pk=created.pk).email_status == "sent"


def test_a_stub_of_a_user_without_address_is_skipped_when_delivered(notify, users):
    users["leo"].email = ""
    users["leo"].save()
    (created,) = notify([get_user_model()(pk=users["leo"].pk)])
    assert mail.outbox == []
    assert Notification.objects.get(pk=created.pk).email_status == "skipped"
