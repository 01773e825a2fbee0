"""Which cases a metric counts: a workflow, one of its versions, a date range.

Dates are calendar days in the installation's time zone (settings.TIME_ZONE), both ends
included: `from=2026-11-02&to=2026-11-08` is Monday 00:00 to the following Monday 00:00.
Missing ends are open: no `from` counts from the beginning, no `to` up to now.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from apps.core.errors import ValidationFailed
from apps.definitions.models import DefinitionVersion, WorkflowDefinition

MSG_BAD_DATE = "Give a date as YYYY-MM-DD."
MSG_TO_BEFORE_FROM = "The end of the range ({to}) is before its start ({start})."
MSG_UNKNOWN_WORKFLOW = "No workflow has the key '{key}'."
MSG_BAD_VERSION = "Give a version number (1, 2, ...)."
MSG_VERSION_NEEDS_WORKFLOW = "A version is a version of one workflow: give the workflow too."
MSG_UNKNOWN_VERSION = "Workflow '{key}' has no version {number}."
MAX_VERSION = 2**31 - 1
MSG_INVALID = "Invalid metrics filter: {names}."


@dataclass(frozen=True)
class MetricsFilter:
    workflow: str = ""
    version: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    @property
    def moment_from(self) -> datetime | None:
        return _midnight(self.date_from) if self.date_from else None

    @property
    def moment_to(self) -> datetime | None:
        """The first moment after the range (the day after `to`, at midnight)."""
        return _midnight(self.date_to + timedelta(days=1)) if self.date_to else None


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def _date(value, name: str, errors: dict) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    text = str(value)
    try:
        parsed = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        parsed = None
    if parsed is None:
        errors[name] = [MSG_BAD_DATE]
    return parsed


def metrics_filter(*, workflow: str = "", version=None, date_from=None, date_to=None) -> MetricsFilter:
    """A checked filter; ValidationFailed names each bad parameter as the API calls it
    (`workflow`, `version`, `from`, `to`). One query when a workflow is given, two with a version."""
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
    if errors:
        raise ValidationFailed(MSG_INVALID.format(names=", ".join(sorted(errors))), field_errors=errors)
    return MetricsFilter(workflow=workflow, version=number, date_from=start, date_to=end)
