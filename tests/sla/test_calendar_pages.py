"""Calendar pages: everyone signed in reads, workflow owners and admins edit, htmx fragments."""

import pytest
from django.utils import timezone
from django.utils.html import escape

from apps.portal.views.sla import MSG_PREVIEW_HOURS
from apps.sla import services
from apps.sla.calendar import days_off
from apps.sla.models import BusinessCalendar

FORM = {
    "name": "Munich",
    "working_days": ["0", "1", "2", "3", "4"],
    "day_start": "08:00",
    "day_end": "16:30",
    "time_zone": "Europe/Berlin",
    "country": "DE",
    "subdivision": "BY",
    "closures": "2026-12-24\r\n2026-12-31\r\n",
}


@pytest.fixture
def staff(db):
    """Just the people these tests need, made by the real org service (the demo seed is slower)."""
    from apps.org import roles
    from apps.org.services import person_upsert

    return {
        "olivia": person_upsert(username="olivia", roles=[roles.WORKFLOW_OWNERS]),
        "bob": person_upsert(username="bob", department="Engineering"),
        "audrey": person_upsert(username="audrey", roles=[roles.AUDITORS]),
        "admin": person_upsert(username="admin", is_superuser=True),
    }


@pytest.fixture(autouse=True)
def head_office(staff):
    """The default calendar (seed_demo creates it too; ensuring it is idempotent)."""
    return services.calendar_ensure_default()


@pytest.fixture
def signed_in(client, staff):
    def _as(username):
        client.force_login(staff[username])
        return client

    return _as


@pytest.fixture
def lisbon(staff):
    return services.calendar_create(actor=staff["olivia"], name="Lisbon", time_zone="Europe/Lisbon", country="PT")


@pytest.mark.parametrize("url", ["/calendars/", "/calendars/new/"])
def test_pages_need_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_everyone_signed_in_sees_the_list_and_the_default_badge(signed_in, lisbon):
    page = signed_in("bob").get("/calendars/").content.decode()
    assert "Head office" in page and "Lisbon" in page and '<span class="badge ok">default</span>' in page
    assert "Mon–Fri 09:00–17:00" in page
    assert "New calendar" not in page and "Make default" not in page and "/edit/" not in page


def test_only_owners_and_admins_see_the_nav_link(signed_in):
    assert 'href="/calendars/"' not in signed_in("bob").get("/").content.decode()
    assert 'href="/calendars/"' in signed_in("olivia").get("/").content.decode()
    assert 'href="/calendars/"' in signed_in("admin").get("/").content.decode()


def test_others_get_403_on_every_edit(signed_in, lisbon):
    bob = signed_in("bob")
    assert bob.get("/calendars/new/").status_code == 403
    assert bob.post("/calendars/new/", FORM).status_code == 403
    assert bob.get(f"/calendars/{lisbon.pk}/edit/").status_code == 403
    assert bob.post(f"/calendars/{lisbon.pk}/edit/", FORM).status_code == 403
    assert bob.post(f"/calendars/{lisbon.pk}/default/").status_code == 403
    assert not BusinessCalendar.objects.filter(name="Munich").exists()
    lisbon.refresh_from_db()
    assert not lisbon.is_default


def test_unknown_calendar_is_404(signed_in):
    assert signed_in("olivia").get("/calendars/999/").status_code == 404
    assert signed_in("olivia").get("/calendars/999/edit/").status_code == 404


def test_owner_creates_a_calendar(signed_in, staff):
    olivia = signed_in("olivia")
    form = olivia.get("/calendars/new/").content.decode()
    assert 'type="checkbox" name="working_days" value="6"' in form and 'list="time-zones"' in form
    assert '<option value="DE">Germany (DE)</option>' in form
    response = olivia.post("/calendars/new/", FORM)
    munich = BusinessCalendar.objects.get(name="Munich")
    assert response.status_code == 302 and response["Location"] == f"/calendars/{munich.pk}/"
    assert (munich.subdivision, str(munich.day_end), munich.closures) == (
        "BY",
        "16:30:00",
        ["2026-12-24", "2026-12-31"],
    )
    assert munich.history.get().history_user == staff["olivia"]
    page = olivia.get(response["Location"]).content.decode()
    assert "Calendar “Munich” created." in page and "Germany (DE), region BY" in page


def test_invalid_form_shows_each_problem_next_to_its_field(signed_in):
    bad = FORM | {"working_days": [], "day_end": "07:00", "time_zone": "Europe/Munich", "closures": "24.12.2026"}
    response = signed_in("olivia").post("/calendars/new/", bad)
    page = response.content.decode()
    assert response.status_code == 400
    assert services.MSG_NO_DAYS in page and services.MSG_HOURS_ORDER in page
    assert "Unknown time zone &#x27;Europe/Munich&#x27;" in page
    assert "&#x27;24.12.2026&#x27; is not a date" in page
    assert 'value="Munich"' in page  # what was typed stays
    assert not BusinessCalendar.objects.filter(name="Munich").exists()


def test_owner_edits_a_calendar(signed_in, lisbon):
    olivia = signed_in("olivia")
    form = olivia.get(f"/calendars/{lisbon.pk}/edit/").content.decode()
    assert 'value="Lisbon"' in form and 'value="Europe/Lisbon"' in form and 'value="09:00"' in form
    response = olivia.post(
        f"/calendars/{lisbon.pk}/edit/", FORM | {"name": "Lisbon", "country": "PT", "subdivision": ""}
    )
    assert response.status_code == 302
    lisbon.refresh_from_db()
    assert lisbon.time_zone == "Europe/Berlin" and lisbon.closures == ["2026-12-24", "2026-12-31"]
    refused = olivia.post(f"/calendars/{lisbon.pk}/edit/", FORM | {"subdivision": "ZZ"})
    assert refused.status_code == 400 and "is not a region of DE" in refused.content.decode()


def test_make_default_plain_and_htmx(signed_in, lisbon):
    olivia = signed_in("olivia")
    response = olivia.post(f"/calendars/{lisbon.pk}/default/")
    assert response.status_code == 302 and response["Location"] == "/calendars/"
    assert BusinessCalendar.objects.get(is_default=True) == lisbon
    head = BusinessCalendar.objects.get(name="Head office")
    fragment = olivia.post(f"/calendars/{head.pk}/default/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "<table>" in fragment
    assert BusinessCalendar.objects.get(is_default=True) == head
    assert f'hx-post="/calendars/{lisbon.pk}/default/"' in fragment  # Lisbon can be made default again
    assert olivia.get(f"/calendars/{lisbon.pk}/default/").status_code == 405


def test_admin_edits_too(signed_in, lisbon):
    assert signed_in("admin").post(f"/calendars/{lisbon.pk}/default/").status_code == 302


def test_detail_shows_preview_and_next_days_off(signed_in, head_office):
    head = head_office
    page = signed_in("bob").get(f"/calendars/{head.pk}/").content.decode()
    assert "<strong>48 business hours</strong> after" in page and "(Europe/Berlin)" in page
    upcoming = days_off(calendar=head, after=timezone.now().date())
    assert "Next days off" in page and len(upcoming) == 10
    assert all(f"{day:%a} {day.day} {day:%b %Y} · {escape(why)}" in page for day, why, _ in upcoming)
    assert "Edit" not in page


def test_preview_fragment_for_htmx(signed_in, head_office):
    head = head_office
    bob = signed_in("bob")
    fragment = bob.get(f"/calendars/{head.pk}/?hours=8", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "<strong>8 business hours</strong>" in fragment
    bad = bob.get(f"/calendars/{head.pk}/?hours=-3", HTTP_HX_REQUEST="true").content.decode()
    assert MSG_PREVIEW_HOURS in bad and "<strong>48 business hours</strong>" in bad
