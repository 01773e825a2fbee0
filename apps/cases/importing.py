"""Migration from spreadsheets: cases that lived in a spreadsheet become ordinary cases.

`cases_import` reads rows (dicts, column -> text) and starts each good row through the engine
(`case_import`: `CaseFlow.start` with the row's stage, owner and dates, see
`flows._migrated`), each row in its own transaction, so a row is imported whole or not at all.
It answers with a per-row report; a dry run does the same work and rolls it all back.
`external_id` is unique per workflow (a database constraint): importing a file again skips
what exists. `case_export_rows` writes the same columns back, so an import round-trips.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from viewflow.workflow.models import Task

from apps.audit.models import Action
from apps.audit.services import audit_batch, audit_record
from apps.core.errors import NotFound, ValidationFailed
from apps.core.input_guard import MSG_NUL
from apps.definitions.accessors import Stage, spec_of
from apps.definitions.policy import ensure_can_edit_definition
from apps.definitions.selectors import version_live
from apps.org.selectors import role_exists

from .acting import acting
from .flows import CaseFlow
from .models import Case
from .nodes import ROLE_PREFIX, task_role
from .policy import APPROVAL, REFUSALS, assignee_problem
from .routing import IMPORT_CLOSED

User = get_user_model()

CLOSED = "closed"
SYSTEM_COLUMNS = ["stage", "owner", "requested_by", "created_at", "outcome", "note"]
CREATED, SKIPPED, ERROR = "created", "skipped", "error"
EXPORTED_ID = re.compile(r"^case-(\d+)$")  # an ordinary case's external_id in an export

MSG_REQUIRED = "Required."
MSG_EXTERNAL_ID_COLUMN = "The file has no 'external_id' column (map one in the portal, or add it)."
MSG_UNKNOWN_COLUMNS = "Unknown columns: {names}. The columns of {workflow} are: {columns}."
MSG_TWICE = "More than one column is {names}: keep one (or map the others to nothing)."
MSG_DUPLICATE = "Duplicate of row {row} in this file."
MSG_STAGE_REQUIRED = "Required: the key of the stage the case resumes at, or 'closed'."
MSG_STAGE_UNKNOWN = "Unknown stage '{stage}'; use one of: {stages}, closed."
MSG_STAGE_STEP = "'{stage}' is an automated step; import the case at an approval stage, or closed."
MSG_OWNER_REQUIRED = "Required for an open case: a username, or role:<key> for a role's queue."
MSG_NO_USER = "There is no active user '{username}'."
MSG_NO_ROLE = "There is no role '{role}'."
MSG_REQUESTER_REQUIRED = "Required: the username of who asked (an import from the command line has no default)."
MSG_BAD_DATE = "Not an ISO date or datetime: '{value}' (write 2024-05-31 or 2024-05-31T14:30)."
MSG_FUTURE_DATE = "In the future: {value}."
MSG_OUTCOME_REQUIRED = "Required for a closed case: one of {outcomes}."
MSG_OUTCOME_UNKNOWN = "Unknown outcome '{outcome}'; use one of: {outcomes}."
MSG_OUTCOME_OPEN = "Only a closed case has an outcome (stage is '{stage}')."
MSG_EXISTS_RACE = "Imported by someone else meanwhile; import again to skip it."


def import_columns(version) -> list[str]:
    """The columns of a migration file for `version`, in the order an export writes them."""
    return ["external_id", *(f.name for f in spec_of(version).fields), *SYSTEM_COLUMNS]


@dataclass(frozen=True)
class ImportPlan:
    """Where a migrated case resumes (read by `flows._migrated`)."""

    external_id: str
    created_at: datetime
    stage: Stage | None  # None: closed
    assignment: dict
    outcome: str
    note: str
    row: int
    source: dict


class _Lookups:
    """Users and roles of one import, each looked up once."""

    def __init__(self):
        self.users, self.roles = {}, {}

    def user(self, username: str):
        if username not in self.users:
            self.users[username] = User.objects.filter(username=username, is_active=True).first()
        return self.users[username]

    def role(self, name: str) -> bool:
        if name not in self.roles:
            self.roles[name] = role_exists(name=name)
        return self.roles[name]


def _created_at(text: str, errors: dict) -> datetime:
    if not text:
        return timezone.now()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        errors["created_at"] = MSG_BAD_DATE.format(value=text)
        return timezone.now()
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > timezone.now():
        errors["created_at"] = MSG_FUTURE_DATE.format(value=text)
    return moment


def _closing(row: dict, errors: dict) -> str:
    outcomes = ", ".join(IMPORT_CLOSED)
    outcome = row.get("outcome", "").strip().lower()
    if not outcome:
        errors["outcome"] = MSG_OUTCOME_REQUIRED.format(outcomes=outcomes)
    elif outcome not in IMPORT_CLOSED:
        errors["outcome"] = MSG_OUTCOME_UNKNOWN.format(outcome=outcome, outcomes=outcomes)
    return outcome


def _stage(spec, key: str, errors: dict) -> Stage | None:
    stage = spec.stage(key)
    if stage is None:
        keys = ", ".join(s.key for s in spec.stages if not s.is_step)
        errors["stage"] = MSG_STAGE_UNKNOWN.format(stage=key, stages=keys)
    elif stage.is_step:
        errors["stage"] = MSG_STAGE_STEP.format(stage=key)
        return None
    return stage


def _assignment(owner: str, requester, lookups: _Lookups, errors: dict) -> dict:
    """The task's holder: {"user_id", "username"} or {"role"}; the one rule decides who may hold it."""
    if not owner:
        errors["owner"] = MSG_OWNER_REQUIRED
        return {}
    if owner.startswith(ROLE_PREFIX):
        role = owner[len(ROLE_PREFIX) :].strip()
        if not lookups.role(role):
            errors["owner"] = MSG_NO_ROLE.format(role=role)
        return {"role": role}
    user = lookups.user(owner)
    if user is None:
        errors["owner"] = MSG_NO_USER.format(username=owner)
        return {}
    if requester is not None:
        problem = assignee_problem(user=user, case=Case(requester=requester), kind=APPROVAL, holders=set())
        if problem is not None:
            errors["owner"] = REFUSALS[problem].format(username=user.username)
    return {"user_id": user.pk, "username": user.username}


def _plan(*, version, row: dict, number: int, actor, lookups: _Lookups) -> tuple:
    """(plan, data, requester) for one row, or ValidationFailed naming each bad column."""
    spec = spec_of(version)
    errors: dict[str, str] = {}
    names = {f.name for f in spec.fields}
    data = {k: v for k, v in row.items() if k in names and v != ""}
    try:
        data = spec.clean(data)
    except ValidationFailed as problem:
        errors.update({k: v[0] if isinstance(v, list) else str(v) for k, v in problem.field_errors.items()})
    username = row.get("requested_by", "").strip()
    requester = lookups.user(username) if username else actor
    if username and requester is None:
        errors["requested_by"] = MSG_NO_USER.format(username=username)
    elif requester is None:
        errors["requested_by"] = MSG_REQUESTER_REQUIRED
    created_at = _created_at(row.get("created_at", "").strip(), errors)
    key = row.get("stage", "").strip()
    stage, assignment, outcome = None, {}, ""
    if not key:
        errors["stage"] = MSG_STAGE_REQUIRED
    elif key.lower() == CLOSED:
        outcome = _closing(row, errors)
    else:
        stage = _stage(spec, key, errors)
        assignment = _assignment(row.get("owner", "").strip(), requester, lookups, errors)
        if row.get("outcome", "").strip():
            errors["outcome"] = MSG_OUTCOME_OPEN.format(stage=key)
    if errors:
        raise ValidationFailed("The row is not valid.", field_errors=errors)
    plan = ImportPlan(
        external_id=row["external_id"].strip(),
        created_at=created_at,
        stage=stage,
        assignment=assignment,
        outcome=outcome,
        note=row.get("note", "").strip(),
        row=number,
        source=dict(row),
    )
    return plan, data, requester


def _existing(*, version, external_id: str) -> int | None:
    """The case of this workflow the id names: a migrated case's id, or an export's case-<pk>."""
    found = Case.objects.filter(definition_id=version.definition_id, external_id=external_id).values_list("pk")
    pk = next(iter(found), (None,))[0]
    match = EXPORTED_ID.match(external_id)
    if pk is None and match:
        ours = Case.objects.filter(definition_id=version.definition_id, pk=int(match[1]), external_id__isnull=True)
        pk = next(iter(ours.values_list("pk")), (None,))[0]
    return pk


def case_import(*, version, row: dict, number: int, actor, lookups: _Lookups | None = None) -> tuple[Case | None, str]:
    """Import one row through the engine: (case, CREATED) or (existing case, SKIPPED).

    ValidationFailed names each bad column; nothing of the row is written then. The case starts
    on `version` like any other (`CaseFlow.start`), at the row's stage with one task for its
    owner (a person, or a role's queue), or closed with its outcome; it is marked migrated,
    began at `created_at` (its SLA clocks count from then) and its history holds the source row.
    """
    nul = [column for column, value in row.items() if "\x00" in value]
    if nul:  # PostgreSQL stores no NUL: refused before any query sees it
        raise ValidationFailed(MSG_NUL, field_errors={column: [MSG_NUL] for column in nul})
    external_id = row.get("external_id", "").strip()
    if not external_id:
        raise ValidationFailed(MSG_REQUIRED, field_errors={"external_id": [MSG_REQUIRED]})
    existing = _existing(version=version, external_id=external_id)
    if existing is not None:
        return Case(pk=existing), SKIPPED
    plan, data, requester = _plan(version=version, row=row, number=number, actor=actor, lookups=lookups or _Lookups())
    try:
        with transaction.atomic(), audit_batch(), acting(actor):
            case = CaseFlow.start.run(version=version, data=data, requester=requester, imported=plan)
            # The tasks it waits on began with the case, as far as anyone can tell: inboxes age them so.
            Task.objects.filter(process=case).update(created=plan.created_at)
    except IntegrityError:
        if _existing(version=version, external_id=external_id) is None:
            raise
        raise ValidationFailed(MSG_EXISTS_RACE, field_errors={"external_id": [MSG_EXISTS_RACE]}) from None
    return case, CREATED


def _check_headers(version, headers: list[str]) -> None:
    columns = import_columns(version)
    unknown = [h for h in headers if h and h not in columns]
    if unknown:
        message = MSG_UNKNOWN_COLUMNS.format(
            names=", ".join(unknown), workflow=version.definition.key, columns=", ".join(columns)
        )
        raise ValidationFailed(message, field_errors={"file": [message]})
    twice = sorted({h for h in headers if h and headers.count(h) > 1})
    if twice:
        message = MSG_TWICE.format(names=", ".join(twice))
        raise ValidationFailed(message, field_errors={"file": [message]})
    if "external_id" not in headers:
        raise ValidationFailed(MSG_EXTERNAL_ID_COLUMN, field_errors={"file": [MSG_EXTERNAL_ID_COLUMN]})


def import_version(*, workflow: str, actor):
    """The live version of `workflow`, if `actor` may import into it (None: the system).
    ValidationFailed (naming `workflow`) for an unknown one; NotAllowed for a non-owner."""
    try:
        version = version_live(key=workflow)
    except NotFound as problem:
        raise ValidationFailed(problem.message, field_errors={"workflow": [problem.message]}) from None
    ensure_can_edit_definition(user=actor, definition=version.definition)
    return version


class _DryRun(Exception):
    """Raised to roll a dry run's transaction back."""


def cases_import(
    *, workflow: str, headers: list[str], rows: Iterable[dict], actor, dry_run: bool = False, source: str = ""
) -> dict:
    """Import rows of a migration file into `workflow` (workflow owners; `actor` None: the
    command line). Returns the report: {"rows": [...], "created", "skipped", "errors"}.

    A dry run writes nothing (every row is started in one transaction that is rolled back) and
    reports the same, without case ids for what it would create.
    """
    version = import_version(workflow=workflow, actor=actor)
    _check_headers(version, headers)
    report = {"rows": [], "created": 0, "skipped": 0, "errors": 0}
    if dry_run:
        try:
            with transaction.atomic():
                _import_rows(version, rows, actor, report, dry_run=True)
                raise _DryRun
        except _DryRun:
            return report
    _import_rows(version, rows, actor, report, dry_run=False)  # each row its own transaction
    with transaction.atomic():
        audit_record(
            action=Action.CASES_IMPORTED,
            actor=actor,
            reason=source,
            context={"workflow": workflow, **{k: report[k] for k in (CREATED, SKIPPED, "errors")}},
        )
    return report


def _import_rows(version, rows: Iterable[dict], actor, report: dict, *, dry_run: bool) -> None:
    seen: dict[str, int] = {}
    lookups = _Lookups()
    for number, row in enumerate(rows, start=1):
        external_id = (row.get("external_id") or "").strip()
        entry = {"row": number, "external_id": external_id, "status": ERROR, "case": None, "errors": {}}
        if external_id and external_id in seen:
            entry["errors"] = {"external_id": MSG_DUPLICATE.format(row=seen[external_id])}
        else:
            if external_id:
                seen[external_id] = number
            try:
                with transaction.atomic():  # a savepoint: a failing row leaves nothing behind
                    case, entry["status"] = case_import(
                        version=version, row=row, number=number, actor=actor, lookups=lookups
                    )
                entry["case"] = None if dry_run and entry["status"] == CREATED else case.pk
            except ValidationFailed as problem:
                entry["errors"] = {
                    k: (v[0] if isinstance(v, list) else str(v)) for k, v in problem.field_errors.items()
                } or {"row": problem.message}
        report["errors" if entry["status"] == ERROR else entry["status"]] += 1
        report["rows"].append(entry)


def case_export_rows(*, version, chunk: int = 500) -> Iterator[list]:
    """Every real case of the workflow as a migration file's row (`import_columns` order),
    oldest first, read a chunk at a time. An ordinary case's external_id is case-<id>, which
    an import into the same workflow recognises as that case."""
    names = [f.name for f in spec_of(version).fields]
    cases = (
        Case.objects.filter(definition_id=version.definition_id, is_test=False)
        .select_related("requester")
        .order_by("pk")
    )
    last = 0
    while True:
        batch = list(cases.filter(pk__gt=last)[:chunk])
        if not batch:
            return
        holders = _holders([c.pk for c in batch if c.is_open])
        for case in batch:
            data = case.data or {}
            yield [
                case.external_id or f"case-{case.pk}",
                *(data.get(n, "") for n in names),
                case.stage if case.is_open else CLOSED,
                holders.get(case.pk, "") if case.is_open else "",
                case.requester.get_username(),
                case.created.isoformat(),
                case.outcome or "" if not case.is_open else "",
                case.migration_note,
            ]
        last = batch[-1].pk


def _holders(case_ids: list[int]) -> dict[int, str]:
    """Who holds each open case's first open approval task: a username, or role:<key>."""
    holders: dict[int, str] = {}
    if not case_ids:
        return holders
    tasks = (
        Task.objects.filter(process_id__in=case_ids, flow_task=CaseFlow.approve, finished__isnull=True)
        .select_related("owner")
        .order_by("pk")
    )
    for task in tasks:
        holder = task.owner.get_username() if task.owner_id else f"{ROLE_PREFIX}{task_role(task)}"
        holders.setdefault(task.process_id, holder)
    return holders
