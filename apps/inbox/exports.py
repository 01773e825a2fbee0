"""The auditors' case list as a spreadsheet (CSV or XLSX, written by tablib).

A case's data is typed by its requester or by another system, so a value may start like a
formula (`=HYPERLINK(...)`): every text cell is made inert as OWASP advises for CSV injection."""

from datetime import UTC

import tablib
from django.utils import timezone

from apps.core.csvsafe import formula_safe
from apps.definitions.accessors import spec_of

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_ROWS = 50_000
MSG_TOO_MANY = "{count} cases match: narrow the filters to at most {limit} before exporting."


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def cell_text(value) -> str:
    """A value as a spreadsheet cell shows it and never runs it: a leading apostrophe before
    anything that would start a formula."""
    return formula_safe(_text(value))


def _moment(value):
    """A time in the reader's time zone, to the minute (naive: a spreadsheet knows no zones)."""
    if value is None:
        return ""
    return timezone.localtime(value).replace(second=0, microsecond=0, tzinfo=None)


def _compact(case) -> str:
    """All of a case's data in one cell, "Label: value" in its version's field order."""
    labels = spec_of(case.version).field_labels()
    data = case.data or {}
    names = [n for n in labels if n in data] + sorted(n for n in data if n not in labels)
    return "; ".join(f"{labels.get(n, n)}: {_text(data[n])}" for n in names if data[n] not in ("", None))


def cases_dataset(cases, *, fields=None) -> tablib.Dataset:
    """One row per case. With `fields` (the workflow's, when the list is one workflow's) each
    field is a labelled column; otherwise a single "Data" column holds every value."""
    zone = timezone.get_current_timezone_name()
    headers = ["Request", "Workflow", "Version", "Test", "Requester", "Status", "Outcome"]
    headers += [f"Started ({zone})", f"Closed ({zone})"]
    headers += [f.label for f in fields] if fields else ["Data"]
    dataset = tablib.Dataset(headers=headers, title="Cases")
    for case in cases:
        row = [
            case.pk,
            cell_text(case.workflow_key),
            case.version_label,
            "yes" if case.is_test else "",
            cell_text(case.requester.get_username()),
            case.status_label.capitalize(),
            case.get_outcome_display() if case.outcome else case.get_state_display(),
            _moment(case.created),
            _moment(case.finished),
        ]
        data = case.data or {}
        row += [cell_text(data.get(f.name)) for f in fields] if fields else [cell_text(_compact(case))]
        dataset.append(row)
    return dataset


EVENT_HEADERS = [
    "Event",
    "At (UTC)",
    "Who",
    "Action",
    "What",
    "Request",
    "Workflow",
    "Version",
    "Step",
    "Reason",
    "Comment",
    "Context",
    "Context (data)",
]


def event_row(event, words: str) -> list:
    """One audit event as a CSV row: `words` is its context in business words (apps.audit.words),
    the raw context follows as JSON for whoever needs the machine facts."""
    import json

    return [
        event.pk,
        event.at.astimezone(UTC).isoformat(),
        cell_text(event.actor_name),
        event.action,
        cell_text(event.get_action_display()),
        event.case_id or "",
        cell_text(event.workflow),
        event.version if event.version is not None else "",
        cell_text(event.step),
        cell_text(event.reason),
        cell_text(event.comment),
        cell_text(words),
        cell_text(json.dumps(event.context or {}, sort_keys=True, default=str)),
    ]
