"""Owners make and change schedules; bad input names the field; nobody else may schedule."""

import pytest

from apps.core.errors import NotAllowed, ValidationFailed
from apps.definitions.selectors import definition_get
from apps.schedules.services import schedule_create, schedule_update

from .conftest import PURCHASE

pytestmark = pytest.mark.django_db


def _create(actor, **values):
    values = {"name": "Weekly", "cron": "0 9 * * 1", "requester": "alice", "data": dict(PURCHASE), **values}
    return schedule_create(definition=definition_get(key="purchase-approval"), actor=actor, **values)


@pytest.mark.parametrize(
    ("values", "field", "problem"),
    [
        ({"cron": "every monday"}, "cron", "'every monday' is not a cron expression"),
        ({"cron": "61 9 * * *"}, "cron", "'61 9 * * *' is not a cron expression"),
        ({"cron": ""}, "cron", "This field is required."),
        ({"kind": "business_days", "every_days": "0"}, "every_days", "Give a whole number of business days"),
        ({"kind": "hourly"}, "kind", "Choose 'cron' or 'business_days'."),
        ({"requester": "nobody"}, "requester", "No active user 'nobody'."),
        ({"name": " "}, "name", "This field is required."),
        ({"data": {**PURCHASE, "amount": "-5"}}, "data.amount", ""),
        ({"data": {"vendor": "ACME Ltd"}}, "data.amount", ""),
        ({"due_within_hours": "soon"}, "due_within_hours", "Give a whole number of business hours"),
    ],
)
def test_bad_input_is_refused_naming_the_field(users, values, field, problem):
    with pytest.raises(ValidationFailed) as refused:
        _create(users["olivia"], **values)
    assert list(refused.value.field_errors) == [field]
    assert refused.value.field_errors[field][0].startswith(problem)


def test_only_the_workflows_owners_and_administrators_schedule_it(users):
    with pytest.raises(NotAllowed, match="Only the owners of 'purchase-approval' and administrators"):
        _create(users["alice"])
    schedule = _create(users["olivia"])
    with pytest.raises(NotAllowed):
        schedule_update(schedule=schedule, actor=users["alice"], is_active=False)
    admin = next(u for u in users.values() if u.is_superuser)
    assert schedule_update(schedule=schedule, actor=admin, name="Every Monday").name == "Every Monday"
