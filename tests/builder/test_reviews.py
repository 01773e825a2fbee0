"""Issue 14, review cadence: every workflow has a named owner and a next review (quarterly by
default); owners are reminded once per due review, admins see the overdue ones, and "reviewed,
no change" is recorded and moves the date."""

from datetime import timedelta

import time_machine
from django.core.management.sql import emit_post_migrate_signal
from django.db import DEFAULT_DB_ALIAS
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from apps.audit.models import Action, AuditEvent
from apps.builder.reviews import review_reminders_send
from apps.builder.schedules import REVIEW_FUNC, REVIEW_SCHEDULE, ensure_schedules
from apps.definitions import governance
from apps.definitions.library import LIBRARY
from apps.definitions.models import REVIEW_INTERVAL_DAYS
from apps.definitions.selectors import definition_get, definitions_review_due
from apps.notify.models import Notification

NOW = timezone.now()


def _later(days):
    return time_machine.travel(NOW + timedelta(days=days), tick=False)


def test_a_new_workflow_is_due_for_review_in_a_quarter(demo):
    definition = definition_get(key="purchase-approval")
    assert definition.owner == demo["olivia"]
    assert definition.next_review == timezone.localdate() + timedelta(days=REVIEW_INTERVAL_DAYS)
    assert definitions_review_due() == []


def test_owners_are_reminded_once_per_due_review(demo):
    with _later(REVIEW_INTERVAL_DAYS + 1):
        told = review_reminders_send()
        assert told == len(LIBRARY)  # olivia owns every demo workflow
        with _later(REVIEW_INTERVAL_DAYS + 2):  # the next day, still due: not again
            assert review_reminders_send() == 0
        reminders = Notification.objects.filter(user=demo["olivia"], subject__contains="is due for review")
        assert reminders.count() == len(LIBRARY)
        assert reminders.filter(url=reverse("builder:definition", args=["purchase-approval"])).count() == 1

    with _later(REVIEW_INTERVAL_DAYS + 3):
        governance.review_record(definition=definition_get(key="purchase-approval"), actor=demo["olivia"])
    with _later(2 * REVIEW_INTERVAL_DAYS + 4):  # the next quarter's review falls due: reminded again
        assert review_reminders_send() == 1  # (invoice processing's review is still the one reminded of)
    assert Notification.objects.filter(user=demo["olivia"], subject__startswith="Purchase").count() == 2


def test_reviewed_no_change_is_audited_and_moves_the_next_review(demo, signed_in):
    with _later(REVIEW_INTERVAL_DAYS + 5):
        client = signed_in("olivia")  # (a session begun before the trip would have expired)
        today = timezone.localdate()
        response = client.post(reverse("builder:reviewed", args=["purchase-approval"]), {"note": "Still fits"})
        assert response.url == reverse("builder:definition", args=["purchase-approval"])
        definition = definition_get(key="purchase-approval")
        assert definition.next_review == today + timedelta(days=REVIEW_INTERVAL_DAYS)
    event = AuditEvent.objects.get(action=Action.REVIEW_DONE)
    assert event.actor == demo["olivia"] and event.reason == "Still fits"
    assert event.context["next_review"] == definition.next_review.isoformat()
    assert definition.history.first().history_change_reason == "Reviewed, no change"


def test_admins_see_the_overdue_reviews_in_the_builder_list(demo, signed_in):
    with _later(REVIEW_INTERVAL_DAYS + 1):
        admin_page = signed_in("admin").get(reverse("builder:index")).content.decode()
        assert 'id="overdue-reviews"' in admin_page
        assert "Purchase approval" in admin_page.split('id="overdue-reviews"')[1].split("</section>")[0]
        owner_page = signed_in("olivia").get(reverse("builder:index")).content.decode()
        assert 'id="overdue-reviews"' not in owner_page and "review due" in owner_page
    assert 'id="overdue-reviews"' not in signed_in("admin").get(reverse("builder:index")).content.decode()


def test_only_owners_record_a_review(demo, signed_in):
    response = signed_in("alice").post(reverse("builder:reviewed", args=["purchase-approval"]))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=Action.REVIEW_DONE).exists()


def test_the_daily_reminder_schedule_is_declared_once(db):
    Schedule.objects.filter(name=REVIEW_SCHEDULE).delete()
    ensure_schedules()
    ensure_schedules()
    (schedule,) = Schedule.objects.filter(name=REVIEW_SCHEDULE)
    assert (schedule.func, schedule.schedule_type, schedule.repeats) == (REVIEW_FUNC, Schedule.DAILY, -1)


def test_migrate_declares_the_daily_reminder(db):
    # What `manage.py migrate` sends at its end: the builder has no models of its own, so its
    # receiver must listen to an app that has (it never ran when it listened to the builder's).
    Schedule.objects.filter(name=REVIEW_SCHEDULE).delete()
    emit_post_migrate_signal(verbosity=0, interactive=False, db=DEFAULT_DB_ALIAS)
    (schedule,) = Schedule.objects.filter(name=REVIEW_SCHEDULE)
    assert (schedule.func, schedule.schedule_type) == (REVIEW_FUNC, Schedule.DAILY)


def test_owners_set_the_next_review_and_bad_dates_are_refused_naming_the_field(demo, signed_in):
    from apps.builder.governance_views import MSG_BAD_DATE
    from apps.definitions.governance import MSG_REVIEW_PAST

    client = signed_in("olivia")
    url = reverse("builder:governance", args=["purchase-approval"])
    before = definition_get(key="purchase-approval").next_review
    for value, message in [("soon", MSG_BAD_DATE), (timezone.localdate().isoformat(), MSG_REVIEW_PAST)]:
        page = client.post(url, {"next_review": value, "owner": "olivia"}, follow=True).content.decode()
        assert message in page
        assert definition_get(key="purchase-approval").next_review == before
    wanted = timezone.localdate() + timedelta(days=30)
    client.post(url, {"next_review": wanted.isoformat(), "owner": "olivia"})
    assert definition_get(key="purchase-approval").next_review == wanted
    changed = AuditEvent.objects.get(action=Action.GOVERNANCE_CHANGED)
    assert changed.context["changed"]["next_review"]["new"] == wanted.isoformat()
