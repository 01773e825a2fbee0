"""Which cases a metric counts: a workflow, one of its versions, a date range, a team, a role.

Dates are calendar days in the installation's time zone (settings.TIME_ZONE), both ends
included: `from=2026-11-02&to=2026-11-08` is Monday 00:00 to the following Monday 00:00.
Missing ends are open: no `from` counts from the beginning, no `to` up to now.

`team` is a department (its id or its exact name): the cases whose requester belongs to it now
(the person's department as the organisation records it today, not when the case started).
`role` is a role's key: the cases that had an approval task in that role's queue (routed there,
or put there by hand), whoever decided it. apps.metrics.selectors.base.real_cases applies both,
so every metric, panel, alert and the API count alike.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from apps.core.errors import ValidationFailed
from apps.definitions.models import DefinitionVersion, WorkflowDefinition
from apps.org.selectors import department_find, departments_all, role_exists, role_names_all

MSG_BAD_DATE = "Give a date as YYYY-MM-DD."
MSG_TO_BEFORE_FROM = "The end of the range ({to}) is before its start ({start})."
MSG_UNKNOWN_WORKFLOW = "No workflow has the key '{key}'."
MSG_BAD_VERSION = "Give a version number (1, 2, ...)."
MSG_VERSION_NEEDS_WORKFLOW = "A version is a version of one workflow: give the workflow too."
MSG_UNKNOWN_VERSION = "Workflow '{key}' has no version {number}."
MAX_VERSION = 2**31 - 1
# Far enough either way for "everything", near enough that the day after and the moments in any
# time zone still exist (date.max + 1 day does not: `to=9999-12-31` was a 500).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9999, 12, 30)
MSG_OUT_OF_RANGE = "Give a day between {first} and {last}."
MSG_UNKNOWN_TEAM = "No team (department) has the name or number '{team}'."
MSG_UNKNOWN_ROLE = "No role has the key '{role}'."
MSG_INVALID = "Invalid metrics filter: {names}."


@dataclass(frozen=True)
class MetricsFilter:
    workflow: str = ""
    version: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    team: int | None = None  # a department's id
    role: str = ""  # a role's key

    @property
    def moment_from(self) -> datetime | None:
        return day_start(self.date_from) if self.date_from else None

    @property
    def moment_to(self) -> datetime | None:
        """The first moment after the range (the day after `to`, at midnight)."""
        return day_start(self.date_to + timedelta(days=1)) if self.date_to else None


def day_start(day: date) -> datetime:
    """Midnight starting `day` in the installation's time zone (where a range of days begins)."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def parse_day(value) -> date | None:
    """A calendar day written YYYY-MM-DD, else None (no other spelling, no time, no spaces): the
    rule apps.evidence's ranges check their days by too (public for them: they sit above us)."""
    text = str(value)
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def _date(value, name: str, errors: dict) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    parsed = parse_day(value)
    if parsed is None:
        errors[name] = [MSG_BAD_DATE]
    elif not FIRST_DAY <= parsed <= LAST_DAY:
        errors[name] = [MSG_OUT_OF_RANGE.format(first=FIRST_DAY, last=LAST_DAY)]
        return None
    return parsed


def metrics_filter(
    *, workflow: str = "", version=None, date_from=None, date_to=None, team=None, role=None
) -> MetricsFilter:
    """A checked filter; ValidationFailed names each bad parameter as the API calls it
    (`workflow`, `version`, `from`, `to`, `team`, `role`). One query when a workflow is given, two
    with a version; one more for a team, one more for a role."""
    errors: dict[str, list[str]] = {}
    start, end = _date(date_from, "from", errors), _date(date_to, "to", errors)
    if start and end and end < start:
        errors["to"] = [MSG_TO_BEFORE_FROM.format(to=end, start=start)]
    workflow = (workflow or "").strip()
    if workflow and not WorkflowDefinition.objects.filter(key=workflow).exists():
        errors["workflow"] = [MSG_UNKNOWN_WORKFLOW.format(key=workflow[:100])]
    number = None
    if version not in (None, ""):
        try:
            number = int(str(version))
        except ValueError:
            number = 0
        if not 1 <= number <= MAX_VERSION:
            errors["version"] = [MSG_BAD_VERSION]
        elif not workflow:
            errors["version"] = [MSG_VERSION_NEEDS_WORKFLOW]
        elif (
            "workflow" not in errors
            and not DefinitionVersion.objects.filter(definition__key=workflow, number=number).exists()
        ):
            errors["version"] = [MSG_UNKNOWN_VERSION.format(key=workflow, number=number)]
    team_id = None
    team = str(team if team is not None else "").strip()
    if team:
        team_id = department_find(ref=team[:100])
        if team_id is None:
            errors["team"] = [MSG_UNKNOWN_TEAM.format(team=team[:100])]
    role = str(role if role is not None else "").strip()
    if role and (len(role) > 150 or not role_exists(name=role)):
        errors["role"] = [MSG_UNKNOWN_ROLE.format(role=role[:100])]
    if errors:
        raise ValidationFailed(MSG_INVALID.format(names=", ".join(sorted(errors))), field_errors=errors)
    return MetricsFilter(workflow=workflow, version=number, date_from=start, date_to=end, team=team_id, role=role)


def filter_choices() -> dict:
    """What a filter form offers besides workflows: {teams: [(id, name)], roles: [key]}. Two queries."""
    return {"teams": departments_all(), "roles": role_names_all()}
