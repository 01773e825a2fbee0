"""The daily verification of the audit chain: declared once, recorded, shown on the auditors'
page, and operators and auditors are told when the chain is broken."""

from django.apps import apps
from django.db.models.signals import post_migrate
from django_q.models import Schedule

from apps.audit.models import AuditEvent, ChainVerification
from apps.notify.models import Notification
from apps.ops.audit_chain import MSG_BROKEN
from apps.ops.schedules import AUDIT_CHAIN_FUNC, AUDIT_CHAIN_SCHEDULE
from apps.ops.tasks import audit_chain_verify
from tests.audit.test_audit_verify import sql


def test_migrate_declares_the_daily_chain_verification_once(db):
    for _ in range(2):
        post_migrate.send(sender=apps.get_app_config("django_q"), app_config=apps.get_app_config("django_q"))
    (schedule,) = Schedule.objects.filter(name=AUDIT_CHAIN_SCHEDULE)
    assert (schedule.func, schedule.schedule_type) == (AUDIT_CHAIN_FUNC, Schedule.DAILY)


def test_an_intact_chain_is_recorded_and_tells_nobody(start_purchase):
    start_purchase()
    assert audit_chain_verify() == f"chain intact: {AuditEvent.objects.count()} events"
    verification = ChainVerification.objects.get()
    assert (verification.ok, verification.count, verification.break_how) == (True, AuditEvent.objects.count(), "")
    assert not Notification.objects.filter(subject=MSG_BROKEN).exists()


def test_a_broken_chain_is_recorded_and_operators_and_auditors_are_told(start_purchase):
    start_purchase()
    event = AuditEvent.objects.order_by("seq")[3]
    sql("UPDATE audit_auditevent SET reason = 'nothing to see' WHERE id = %s", [event.pk])
    message = audit_chain_verify()
    assert message.startswith(f"chain broken: event #{event.seq} (id {event.pk}) was changed")
    verification = ChainVerification.objects.get()
    assert (verification.ok, verification.break_seq, verification.break_how) == (False, event.seq, "changed")
    told = Notification.objects.filter(subject=MSG_BROKEN)
    assert sorted(told.values_list("user__username", flat=True)) == ["audrey", "oscar"]
    assert message in told.first().body and told.first().url == "/audit/cases/"


def test_the_auditors_page_shows_the_last_verification(start_purchase, signed_in):
    start_purchase()
    page = signed_in("audrey").get("/audit/cases/")
    assert "Not verified yet" in page.content.decode()
    audit_chain_verify()
    event = AuditEvent.objects.order_by("seq")[2]
    sql("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    audit_chain_verify()
    html = signed_in("audrey").get("/audit/cases/").content.decode()
    assert 'class="badge bad">Broken' in html and f"is missing (#{event.seq})" in html
    assert "Intact" not in html
    fragment = signed_in("audrey").get("/audit/cases/", HTTP_HX_REQUEST="true").content.decode()
    assert "chain-verification" not in fragment
