"""What a pack covers: a range of calendar days and, optionally, one workflow.

Days are calendar days in the installation's time zone (settings.TIME_ZONE), both ends included,
as the metrics read them: `from=2026-11-02&to=2026-11-08` is Monday 00:00 to the following Monday
00:00. Both ends are required: a pack always says which period it is evidence for.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from apps.core.errors import ValidationFailed
from apps.definitions.models import WorkflowDefinition
from apps.metrics.filters import FIRST_DAY, LAST_DAY, MSG_OUT_OF_RANGE, day_start, parse_day

MSG_DATE_REQUIRED = "Give a date as YYYY-MM-DD."
MSG_BAD_DATE = "Give a date as YYYY-MM-DD, e.g. 2026-11-30."
MSG_TO_BEFORE_FROM = "The end of the range ({to}) is before its start ({start})."
MSG_UNKNOWN_WORKFLOW = "No workflow has the key '{key}'."
MSG_INVALID = "Invalid evidence range: {names}."


@dataclass(frozen=True)
class EvidenceRange:
    date_from: date
    date_to: date
    workflow: str = ""

    @property
    def moment_from(self) -> datetime:
        return day_start(self.date_from)

    @property
    def moment_to(self) -> datetime:
        """The first moment after the range (the day after `to`, at midnight)."""
        return day_start(self.date_to + timedelta(days=1))

    def as_dict(self) -> dict:
        return {
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "time_zone": timezone.get_default_timezone_name(),
            "moment_from": self.moment_from.isoformat(),
            "moment_to_exclusive": self.moment_to.isoformat(),
            "workflow": self.workflow or None,
        }


def _date(value, name: str, errors: dict) -> date | None:
    text = str(value or "").strip()
    if not text:
        errors[name] = [MSG_DATE_REQUIRED]
        return None
    parsed = parse_day(text)
    if parsed is None:
        errors[name] = [MSG_BAD_DATE]
    elif not FIRST_DAY <= parsed <= LAST_DAY:
        errors[name] = [MSG_OUT_OF_RANGE.format(first=FIRST_DAY, last=LAST_DAY)]
        return None
    return parsed


def evidence_range(*, date_from, date_to, workflow: str | None = "") -> EvidenceRange:
    """A checked range; ValidationFailed names each bad parameter as the API calls it (`from`,
    `to`, `workflow`). One query when a workflow is given."""
    errors: dict[str, list[str]] = {}
    start, end = _date(date_from, "from", errors), _date(date_to, "to", errors)
    if start and end and end < start:
        errors["to"] = [MSG_TO_BEFORE_FROM.format(to=end, start=start)]
    workflow = (workflow or "").strip()
    if workflow and not WorkflowDefinition.objects.filter(key=workflow).exists():
        errors["workflow"] = [MSG_UNKNOWN_WORKFLOW.format(key=workflow[:100])]
    if errors:
        raise ValidationFailed(MSG_INVALID.format(names=", ".join(sorted(errors))), field_errors=errors)
    return EvidenceRange(date_from=start, date_to=end, workflow=workflow)
