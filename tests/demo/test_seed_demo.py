"""The demo seed: the people and workflow the quick start promises, idempotently."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from apps.cases.models import Case
from apps.definitions.library import LIBRARY
from apps.definitions.models import DefinitionVersion
from apps.org.selectors import user_manager_chain, user_role_names
from apps.schedules.models import ScheduleRun


def test_demo_people_managers_and_roles(demo):
    assert [m.username for m in user_manager_chain(user=demo["alice"])] == ["bob", "carol"]
    assert user_manager_chain(user=demo["carol"]) == []
    assert demo["alice"].profile.department.name == "Engineering"
    assert user_role_names(user=demo["fiona"]) == ["finance"]
    assert user_role_names(user=demo["frank"]) == ["finance"]
    assert user_role_names(user=demo["leo"]) == ["legal"]
    assert user_role_names(user=demo["audrey"]) == ["auditors"]
    assert user_role_names(user=demo["olivia"]) == ["workflow-owners"]
    assert user_role_names(user=demo["oscar"]) == ["operators"]
    assert demo["admin"].is_superuser
    assert authenticate(username="alice", password="demo") == demo["alice"]


def test_seeding_twice_changes_nothing(demo):
    call_command("seed_demo", "--force")
    versions = DefinitionVersion.objects.filter(definition__key="purchase-approval")
    assert [(v.number, v.status) for v in versions] == [(1, "published")]
    assert not Case.objects.exists(), "without --history the demo has no cases"


def test_seeding_is_refused_without_debug_unless_forced(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo")


# `seed_demo --history` itself: tests/demo/test_seed_history.py (its module shares one lived history).
def test_history_days_must_be_sensible(db):
    with pytest.raises(CommandError, match="--history takes a number of days"):
        call_command("seed_demo", "--force", "--history", "-3")
    assert not Case.objects.exists()


def test_seed_demo_without_history_starts_no_case(db):
    call_command("seed_demo", "--force")
    assert not Case.objects.exists() and not ScheduleRun.objects.exists()
    assert DefinitionVersion.objects.filter(status="published").count() == len(LIBRARY)
