"""calendar_create / calendar_update / calendar_set_default / calendar_ensure_default, and calendar_for."""

from datetime import time

import pytest

from apps.core.errors import NotAllowed, ValidationFailed
from apps.sla import services
from apps.sla.models import BusinessCalendar
from apps.sla.selectors import FALLBACK_NAME, calendar_for


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


@pytest.fixture
def olivia(staff):
    return staff["olivia"]


def make(actor, name="Lisbon", **values):
    return services.calendar_create(actor=actor, name=name, time_zone="Europe/Lisbon", country="PT", **values)


def test_create_normalises_and_records_who(olivia):
    calendar = make(
        olivia, working_days=["4", 0, "2"], day_start="08:30", day_end="16:00", closures="2026-12-24\n\n2026-12-24\n"
    )
    calendar.refresh_from_db()
    assert calendar.working_days == [0, 2, 4]
    assert (calendar.day_start, calendar.day_end) == (time(8, 30), time(16))
    assert calendar.closures == ["2026-12-24"]
    assert calendar.history.get().history_user == olivia
    assert not calendar.is_default


@pytest.mark.parametrize(
    "values, field, message",
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone", services.MSG_TIME_ZONE.format(value="Mars/Olympus")),
        ({"time_zone": ""}, "time_zone", services.MSG_TIME_ZONE.format(value="")),
        ({"day_start": "17:00", "day_end": "09:00"}, "day_end", services.MSG_HOURS_ORDER),
        ({"day_start": "09:00", "day_end": "09:00"}, "day_end", services.MSG_HOURS_ORDER),
        ({"day_start": "nine"}, "day_start", services.MSG_TIME),
        ({"working_days": []}, "working_days", services.MSG_NO_DAYS),
        ({"working_days": [7]}, "working_days", services.MSG_BAD_DAY.format(value=7)),
        ({"country": "XX"}, "country", services.MSG_COUNTRY.format(value="XX")),
        ({"country": "", "subdivision": "BE"}, "subdivision", services.MSG_SUBDIVISION_NEEDS_COUNTRY),
        ({"closures": ["2026-02-30"]}, "closures", services.MSG_CLOSURE.format(value="2026-02-30")),
        ({"closures": "26-12-2026"}, "closures", services.MSG_CLOSURE.format(value="26-12-2026")),
        ({"name": "  "}, "name", "This field cannot be blank."),
    ],
)
def test_validation_names_the_field(db, values, field, message):
    arguments = {"name": "Berlin", "time_zone": "Europe/Berlin", "country": "DE", "subdivision": "BE"} | values
    with pytest.raises(ValidationFailed) as refused:
        services.calendar_create(actor=None, **arguments)
    assert message in refused.value.field_errors[field]
    assert not BusinessCalendar.objects.filter(name="Berlin").exists()


def test_a_region_must_belong_to_the_country(db):
    with pytest.raises(ValidationFailed) as refused:
        services.calendar_create(actor=None, name="X", country="DE", subdivision="CA")
    assert refused.value.field_errors["subdivision"][0].startswith("'CA' is not a region of DE; choose one of: BB, BE")


def test_region_and_country_codes_are_case_insensitive(db):
    calendar = services.calendar_create(actor=None, name="X", country="de", subdivision="by")
    assert (calendar.country, calendar.subdivision) == ("DE", "BY")


def test_names_are_unique(db):
    make(db)
    with pytest.raises(ValidationFailed) as refused:
        make(db)
    assert "name" in refused.value.field_errors


def test_update_changes_only_what_is_given(olivia):
    calendar = make(olivia, closures=["2026-12-24"])
    updated = services.calendar_update(calendar=calendar, actor=olivia, day_end="18:00", subdivision="")
    assert updated.day_end == time(18) and updated.closures == ["2026-12-24"] and updated.country == "PT"
    assert updated.history.count() == 2
    with pytest.raises(ValidationFailed) as refused:
        services.calendar_update(calendar=calendar, actor=olivia, day_start="19:00")
    assert services.MSG_HOURS_ORDER in refused.value.field_errors["day_end"]


def test_only_owners_and_admins_change_calendars(staff):
    calendar = make(staff["admin"])
    for name in ("bob", "audrey"):
        with pytest.raises(NotAllowed, match="Only workflow owners and administrators"):
            make(staff[name], name=f"by {name}")
        with pytest.raises(NotAllowed):
            services.calendar_update(calendar=calendar, actor=staff[name], day_end="18:00")
        with pytest.raises(NotAllowed):
            services.calendar_set_default(calendar=calendar, actor=staff[name])


def test_one_default_at_a_time(olivia):
    first = make(olivia, name="First", is_default=True)
    second = make(olivia, name="Second")
    services.calendar_set_default(calendar=second, actor=olivia)
    assert list(BusinessCalendar.objects.filter(is_default=True)) == [second]
    first.refresh_from_db()
    assert not first.is_default and first.history.first().history_user == olivia
    services.calendar_set_default(calendar=second, actor=olivia)  # again: nothing changes
    assert second.history.count() == 2


def test_ensure_default_creates_head_office_once(db):
    calendar = services.calendar_ensure_default()
    assert (calendar.name, calendar.time_zone, calendar.country, calendar.subdivision) == (
        "Head office",
        "Europe/Berlin",
        "DE",
        "BE",
    )
    assert calendar.is_default and calendar.working_days == [0, 1, 2, 3, 4]
    assert services.calendar_ensure_default() == calendar
    assert BusinessCalendar.objects.count() == 1


def test_ensure_default_keeps_an_existing_default(db):
    mine = make(None, is_default=True)
    assert services.calendar_ensure_default() == mine
    assert not BusinessCalendar.objects.filter(name="Head office").exists()


def test_calendar_for_resolves_override_then_default_then_fallback(db, django_assert_max_num_queries):
    assert calendar_for().name == FALLBACK_NAME and calendar_for().pk is None
    lisbon = make(None)
    assert calendar_for(spec={"calendar": "Lisbon"}) == lisbon
    assert calendar_for(spec={"calendar": "Nowhere"}).name == FALLBACK_NAME
    default = make(None, name="Main", is_default=True)
    with django_assert_max_num_queries(1):
        assert calendar_for(spec={"calendar": "Lisbon"}) == lisbon
    assert calendar_for(spec={"calendar": "No such calendar"}) == default
    assert calendar_for(spec={"fields": []}) == default
    assert calendar_for() == default


def test_calendar_for_a_definition_uses_its_live_version(demo, publish):
    services.calendar_ensure_default()
    make(demo["olivia"])
    key = publish(
        "uses-lisbon", [{"key": "boss", "name": "Boss", "approvers": [{"key": "bob", "type": "user", "user": "bob"}]}]
    )
    from apps.definitions.models import DefinitionVersion, WorkflowDefinition

    version = DefinitionVersion.objects.get(definition__key=key)
    assert calendar_for(definition=version).name == "Head office"  # the default
    DefinitionVersion.objects.filter(pk=version.pk).update(spec=version.spec | {"calendar": "Lisbon"})
    assert calendar_for(definition=WorkflowDefinition.objects.get(key=key)).name == "Lisbon"
