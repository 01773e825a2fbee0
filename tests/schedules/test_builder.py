"""The schedules card on a workflow's builder page: owners add, edit, pause; others cannot."""

import pytest

from apps.schedules.models import WorkflowSchedule

pytestmark = pytest.mark.django_db

PAGE = "/builder/purchase-approval/"
HTMX = {"HTTP_HX_REQUEST": "true"}
FORM = {
    "name": "Monthly stationery",
    "kind": "cron",
    "cron": "0 9 1 * *",
    "requester": "alice",
    "data.amount": "120",
    "data.vendor": "ACME Ltd",
    "data.cost_center": "CC-100",
}


def test_the_owner_sees_the_empty_card_and_adds_a_schedule_in_place(signed_in):
    olivia = signed_in("olivia")
    page = olivia.get(PAGE).content.decode()
    assert "Recurring runs" in page and "Nothing is scheduled." in page

    added = olivia.post(f"{PAGE}schedules/save/", FORM, **HTMX)

    assert added.status_code == 200
    body = added.content.decode()
    assert "Schedule &#x27;Monthly stationery&#x27; added: its first run is due" in body
    assert "cron 0 9 1 * *" in body and '<span class="badge ok">active</span>' in body
    schedule = WorkflowSchedule.objects.get()
    assert schedule.requester.username == "alice" and schedule.data["vendor"] == "ACME Ltd"


def test_a_bad_cron_and_a_bad_field_come_back_in_the_form_with_the_problem(signed_in):
    answer = signed_in("olivia").post(
        f"{PAGE}schedules/save/", {**FORM, "cron": "every day", "data.amount": "-1"}, **HTMX
    )

    assert answer.status_code == 400
    body = answer.content.decode()
    assert "&#x27;every day&#x27; is not a cron expression" in body
    assert 'value="every day"' in body and 'name="data.amount" value="-1"' in body
    assert not WorkflowSchedule.objects.exists()


def test_the_owner_edits_and_pauses_a_schedule(signed_in):
    olivia = signed_in("olivia")
    olivia.post(f"{PAGE}schedules/save/", FORM, **HTMX)
    schedule = WorkflowSchedule.objects.get()

    form = olivia.get(f"{PAGE}schedules/?edit={schedule.pk}", **HTMX).content.decode()
    assert "Edit “Monthly stationery”" in form and 'value="0 9 1 * *"' in form
    saved = olivia.post(
        f"{PAGE}schedules/save/", {**FORM, "schedule": schedule.pk, "name": "Stationery, monthly"}, **HTMX
    )
    assert "Schedule &#x27;Stationery, monthly&#x27; saved." in saved.content.decode()

    paused = olivia.post(f"{PAGE}schedules/{schedule.pk}/toggle/", **HTMX).content.decode()
    assert (
        "paused: nothing starts until it is resumed" in paused and '<span class="badge muted">paused</span>' in paused
    )
    schedule.refresh_from_db()
    assert schedule.name == "Stationery, monthly" and not schedule.is_active


def test_people_who_do_not_own_the_workflow_cannot_see_or_change_its_schedules(signed_in):
    signed_in("olivia").post(f"{PAGE}schedules/save/", FORM, **HTMX)
    schedule = WorkflowSchedule.objects.get()
    alice = signed_in("alice")
    assert alice.get(f"{PAGE}schedules/", **HTMX).status_code == 403
    assert alice.post(f"{PAGE}schedules/save/", FORM, **HTMX).status_code == 403
    assert alice.post(f"{PAGE}schedules/{schedule.pk}/toggle/", **HTMX).status_code == 403
    schedule.refresh_from_db()
    assert schedule.is_active and WorkflowSchedule.objects.count() == 1
