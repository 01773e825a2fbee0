"""Pages show every time in the signed-in person's zone, labelled; they choose it on their settings page."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from django.utils.html import escape

from apps.core.moments import MSG_TIME_ZONE
from apps.org.selectors import user_time_zone_name
from apps.org.services import absence_set, profile_time_zone_set

STARTS = datetime(2026, 12, 3, 12, 5, tzinfo=UTC)


@pytest.fixture
def bob_away(users):
    return absence_set(
        user=users["bob"], starts=STARTS, ends=STARTS + timedelta(days=2), delegate=users["carol"], actor=users["bob"]
    )


def test_a_person_in_berlin_sees_berlin_time_with_its_label(bob_away, signed_in):
    page = signed_in("bob").get("/away/").content.decode()
    assert "3 Dec 2026 13:05 CET" in page
    assert "12:05" not in page


def test_a_person_without_a_zone_sees_the_default_with_its_label(bob_away, users, signed_in):
    profile_time_zone_set(user=users["bob"], time_zone="", actor=users["bob"])
    page = signed_in("bob").get("/away/").content.decode()
    assert "3 Dec 2026 12:05 UTC" in page


@override_settings(TIME_ZONE="America/New_York")
def test_the_default_is_the_installations_setting(bob_away, users, signed_in):
    profile_time_zone_set(user=users["bob"], time_zone="", actor=users["bob"])
    page = signed_in("bob").get("/away/").content.decode()
    assert "3 Dec 2026 07:05 EST" in page


def test_the_zone_lasts_one_request(bob_away, signed_in):
    signed_in("bob").get("/away/")
    assert timezone.get_current_timezone_name() == "UTC"


def test_choosing_a_zone_changes_every_page_at_once(bob_away, users, signed_in):
    client = signed_in("bob")
    page = client.get("/settings/").content.decode()
    assert '<option value="Europe/Berlin" selected>' in page
    response = client.post("/settings/", {"time_zone": "Asia/Tokyo"}, follow=True)
    assert "Saved: times are shown in Asia/Tokyo now." in response.content.decode()
    assert user_time_zone_name(user=users["bob"]) == "Asia/Tokyo"
    assert "3 Dec 2026 21:05 JST" in client.get("/away/").content.decode()


def test_an_unknown_zone_is_refused_next_to_the_field(users, signed_in):
    client = signed_in("bob")
    response = client.post("/settings/", {"time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    assert escape(MSG_TIME_ZONE.format(value="Mars/Olympus")) in response.content.decode()
    assert 'class="field invalid"' in response.content.decode()
    assert user_time_zone_name(user=users["bob"]) == "Europe/Berlin"


def test_the_header_links_to_the_settings(signed_in):
    assert 'href="/settings/"' in signed_in("alice").get("/").content.decode()


def test_sign_in_through_the_form_brings_the_zone(bob_away, client, users):
    users["bob"].set_password("pw-for-the-test")
    users["bob"].save()
    client.post("/accounts/login/", {"username": "bob", "password": "pw-for-the-test"})
    assert "3 Dec 2026 13:05 CET" in client.get("/away/").content.decode()


def test_the_api_keeps_its_moments_whoever_calls(bob_away, signed_in):
    """A browser session in Berlin does not move the API's moments (DRF writes the active zone)."""
    from apps.portal.middleware import TimeZoneMiddleware

    seen = []
    client = signed_in("bob")
    request = client.get("/away/").wsgi_request  # bob's session, with his zone
    for path in ("/away/", "/api/v1/cases/"):
        request.path = path
        TimeZoneMiddleware(lambda r: seen.append(timezone.get_current_timezone_name()))(request)
    assert seen == ["Europe/Berlin", "UTC"]


def test_a_date_in_the_case_data_reads_as_a_day_not_iso(publish, start, signed_in):
    key = publish(
        "dated",
        [{"key": "ok", "name": "OK", "approvers": [{"key": "manager", "label": "Manager", "type": "manager"}]}],
        fields=[{"name": "needed_by", "type": "date", "label": "Needed by", "required": True}],
    )
    case = start(key, needed_by="2026-12-24")
    page = signed_in("alice").get(f"/cases/{case.pk}/").content.decode()
    assert "<dt>Needed by</dt><dd>24 Dec 2026</dd>" in page
    assert "2026-12-24" not in page


def test_times_typed_on_the_away_form_are_in_the_persons_zone(users, signed_in):
    client = signed_in("bob")
    page = client.get("/away/").content.decode()
    assert "From (Europe/Berlin)" in page and "Until (Europe/Berlin)" in page
    client.post("/away/", {"starts": "2026-12-03T13:05", "ends": "2026-12-05T13:05", "delegate": users["carol"].pk})
    absence = users["bob"].absences.get()
    assert absence.starts == STARTS, "13:05 in Berlin is 12:05 UTC"
