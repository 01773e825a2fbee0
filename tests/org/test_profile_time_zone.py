"""Each person picks the zone times are shown in; a bad name is refused, naming the field."""

import pytest

from apps.core.errors import NotAllowed, ValidationFailed
from apps.core.moments import MSG_TIME_ZONE
from apps.org.models import Profile
from apps.org.selectors import user_time_zone_name, user_time_zones
from apps.org.services import MSG_TIME_ZONE_NOT_YOURS, person_upsert, profile_time_zone_set


def test_the_demo_organisation_works_in_berlin(users):
    assert user_time_zone_name(user=users["alice"]) == "Europe/Berlin"


def test_a_person_sets_their_zone_and_the_change_is_in_the_history(users):
    alice = users["alice"]
    profile_time_zone_set(user=alice, time_zone="America/New_York", actor=alice)
    assert user_time_zone_name(user=alice) == "America/New_York"
    latest = Profile.history.filter(user_id=alice.pk).latest("history_date")
    assert latest.time_zone == "America/New_York" and latest.history_user == alice
    assert latest.prev_record.time_zone == "Europe/Berlin"


def test_blank_means_the_installation_default(users, settings):
    alice = users["alice"]
    profile_time_zone_set(user=alice, time_zone="", actor=alice)
    assert user_time_zone_name(user=alice) == ""
    assert str(user_time_zones(users=[alice])[alice.pk]) == settings.TIME_ZONE


@pytest.mark.parametrize("bad", ["Mars/Olympus", "CET; DROP", "europe/berlin"])
def test_an_unknown_zone_is_refused_with_a_field_error(users, bad):
    alice = users["alice"]
    with pytest.raises(ValidationFailed) as refused:
        profile_time_zone_set(user=alice, time_zone=bad, actor=alice)
    assert refused.value.field_errors == {"time_zone": [MSG_TIME_ZONE.format(value=bad)]}
    assert user_time_zone_name(user=alice) == "Europe/Berlin", "unchanged"


def test_nobody_sets_another_persons_zone_but_an_admin(users):
    with pytest.raises(NotAllowed, match=MSG_TIME_ZONE_NOT_YOURS):
        profile_time_zone_set(user=users["alice"], time_zone="UTC", actor=users["bob"])
    profile_time_zone_set(user=users["alice"], time_zone="UTC", actor=users["admin"])
    assert user_time_zone_name(user=users["alice"]) == "UTC"


def test_a_person_without_a_profile_gets_one(db):
    newcomer = person_upsert(username="nina")
    Profile.objects.filter(user=newcomer).delete()
    assert user_time_zone_name(user=newcomer) == ""
    profile_time_zone_set(user=newcomer, time_zone="Asia/Tokyo", actor=newcomer)
    assert user_time_zone_name(user=newcomer) == "Asia/Tokyo"


def test_person_upsert_refuses_an_unknown_zone(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        person_upsert(username="nina", time_zone="Mars/Olympus")
