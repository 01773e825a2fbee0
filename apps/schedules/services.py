"""Writes about recurring workflows: owners make, change and pause schedules; the runner starts
each due period's case once, through the engine's own case_start, and audits it.

Once per period: the run row (unique on schedule and period key) is inserted in the same
transaction as the case, so a second scheduler, a rerun after downtime or a replayed q2 task
finds the period taken and starts nothing.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.models import Action
from apps.audit.services import audit_record
from apps.cases.services import case_data_check, case_start
from apps.core.errors import NotFound, ServiceError, ValidationFailed
from apps.definitions.accessors import spec_of
from apps.definitions.selectors import version_live
from apps.sla.calendar import add_business_hours
from apps.sla.selectors import calendar_for

from . import periods
from .models import RunStatus, ScheduleKind, ScheduleRun, WorkflowSchedule
from .policy import ensure_can_manage
from .selectors import run_case_key, schedules_due

# A run started this long after its period began is marked late (the q2 runner ticks every minute).
LATE_AFTER = timedelta(minutes=10)
# The field a run fills with its period's date when the workflow has it (and the data leaves it empty).
PERIOD_FIELD = "scheduled_for"
MAX_EVERY_DAYS = 365
MAX_DUE_HOURS = 8760

MSG_INVALID = "The schedule is not valid: {fields}."
MSG_REQUIRED = "This field is required."
MSG_KIND = "Choose 'cron' or 'business_days'."
MSG_EVERY_DAYS = f"Give a whole number of business days from 1 to {MAX_EVERY_DAYS}."
MSG_DUE_HOURS = f"Give a whole number of business hours from 1 to {MAX_DUE_HOURS}."
MSG_REQUESTER = "No active user '{username}'."
MSG_DATA = "Give the prefilled data as an object of field values."
MSG_NOT_PUBLISHED = "'{key}' has no published version to start."
MSG_NAME_LENGTH = "At most 200 characters."
MSG_REQUESTER_GONE = "The requester '{username}' is no longer active: choose another requester."


def _positive(value, *, limit: int, message: str, field: str, errors: dict) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors[field] = [message]
        return None
    if not 1 <= number <= limit or str(value).strip() != str(number):
        errors[field] = [message]
        return None
    return number


def _requester(value, errors: dict):
    if value is not None and not isinstance(value, str):
        return value  # a user object (services called from code)
    username = (value or "").strip()
    if not username:
        errors["requester"] = [MSG_REQUIRED]
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        errors["requester"] = [MSG_REQUESTER.format(username=username[:150])]
    return user


def _clean(*, definition, values: dict) -> dict:
    """The schedule's fields checked, with the data checked like a case start's; ValidationFailed
    names each bad field (`data.<field>` for the prefilled data)."""
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    name = str(values.get("name") or "").strip()
    if not name:
        errors["name"] = [MSG_REQUIRED]
    elif len(name) > 200:
        errors["name"] = [MSG_NAME_LENGTH]
    cleaned["name"] = name
    kind = values.get("kind") or ScheduleKind.CRON
    if kind not in ScheduleKind.values:
        errors["kind"] = [MSG_KIND]
    cleaned["kind"] = kind
    cleaned["cron"], cleaned["every_days"] = "", None
    if kind == ScheduleKind.CRON:
        cron = " ".join(str(values.get("cron") or "").split())
        problem = periods.cron_problem(cron) if cron else MSG_REQUIRED
        if problem:
            errors["cron"] = [problem]
        cleaned["cron"] = cron
    elif kind == ScheduleKind.BUSINESS_DAYS:
        cleaned["every_days"] = _positive(
            values.get("every_days"), limit=MAX_EVERY_DAYS, message=MSG_EVERY_DAYS, field="every_days", errors=errors
        )
    due = values.get("due_within_hours")
    cleaned["due_within_hours"] = (
        8
        if due in (None, "")
        else _positive(due, limit=MAX_DUE_HOURS, message=MSG_DUE_HOURS, field="due_within_hours", errors=errors)
    )
    cleaned["requester"] = _requester(values.get("requester"), errors)
    data = values.get("data") or {}
    if not isinstance(data, dict):
        errors["data"] = [MSG_DATA]
        data = {}
    try:
        version = version_live(key=definition.key)
        # NOTE: the period field is the run's to fill: checked with a date here, stored as given.
        needs_period = spec_of(version).field(PERIOD_FIELD) is not None and data.get(PERIOD_FIELD) in (None, "")
        check = {**data, PERIOD_FIELD: timezone.localdate().isoformat()} if needs_period else data
        cleaned["data"] = case_data_check(version=version, data=check)
        if needs_period:
            cleaned["data"].pop(PERIOD_FIELD, None)
    except NotFound:
        errors["workflow"] = [MSG_NOT_PUBLISHED.format(key=definition.key)]
    except ValidationFailed as invalid:
        for field, problems in (invalid.field_errors or {"data": [invalid.message]}).items():
            errors[f"data.{field}" if field != "data" else field] = problems
    if errors:
        raise ValidationFailed(MSG_INVALID.format(fields=", ".join(sorted(errors))), field_errors=errors)
    return cleaned


def _plan(schedule: WorkflowSchedule, *, now: datetime) -> None:
    """Count periods from now: nothing before this moment is started."""
    schedule.anchor = schedule.covered_until = now
    calendar = calendar_for(definition=schedule.definition)
    schedule.next_due_at = periods.next_moment(schedule=schedule, calendar=calendar, after=now)


def _audit_change(schedule: WorkflowSchedule, *, actor, what: str) -> None:
    audit_record(
        action=Action.SCHEDULE_CHANGED,
        actor=actor,
        reason=what,
        context={
            "schedule": schedule.pk,
            "workflow": schedule.definition.key,
            "name": schedule.name,
            "rule": schedule.rule,
            "requester": schedule.requester.get_username(),
            "active": schedule.is_active,
            "data": schedule.data,
        },
    )


def schedule_create(*, definition, actor, is_active: bool = True, **values) -> WorkflowSchedule:
    """A new schedule of `definition`; its first period is the first one after now."""
    ensure_can_manage(user=actor, definition=definition)
    cleaned = _clean(definition=definition, values=values)
    now = timezone.now()
    schedule = WorkflowSchedule(
        definition=definition, created_by=actor, is_active=bool(is_active), created=now, updated=now, **cleaned
    )
    _plan(schedule, now=now)
    with transaction.atomic():
        schedule.full_clean()
        schedule.save()
        _audit_change(schedule, actor=actor, what="created")
    return schedule


def schedule_update(*, schedule: WorkflowSchedule, actor, **changes) -> WorkflowSchedule:
    """Change a schedule (any of its fields, or `is_active` to pause and resume). A new rule or a
    resume counts periods from now: what fell due while paused is not started."""
    ensure_can_manage(user=actor, definition=schedule.definition)
    current = {
        "name": schedule.name,
        "kind": schedule.kind,
        "cron": schedule.cron,
        "every_days": schedule.every_days,
        "due_within_hours": schedule.due_within_hours,
        "requester": schedule.requester,
        "data": schedule.data,
    }
    is_active = changes.pop("is_active", schedule.is_active)
    cleaned = _clean(definition=schedule.definition, values={**current, **changes})
    replan = (cleaned["kind"], cleaned["cron"], cleaned["every_days"]) != (
        schedule.kind,
        schedule.cron,
        schedule.every_days,
    ) or (bool(is_active) and not schedule.is_active)
    what = (
        "paused"
        if schedule.is_active and not is_active
        else "resumed"
        if is_active and not schedule.is_active
        else "changed"
    )
    for field, value in cleaned.items():
        setattr(schedule, field, value)
    schedule.is_active = bool(is_active)
    now = timezone.now()
    schedule.updated = now
    if replan:
        _plan(schedule, now=now)
    with transaction.atomic():
        schedule.full_clean()
        schedule.save()
        _audit_change(schedule, actor=actor, what=what)
    return schedule


def _period_data(schedule: WorkflowSchedule, version, due_at: datetime, calendar) -> dict:
    data = dict(schedule.data)
    field = spec_of(version).field(PERIOD_FIELD)
    if field is not None and data.get(PERIOD_FIELD) in (None, ""):
        local = due_at.astimezone(ZoneInfo(calendar.time_zone or "UTC"))
        data[PERIOD_FIELD] = local.date().isoformat()
    return data


def _start_period(schedule: WorkflowSchedule, *, due_at: datetime, now: datetime, calendar) -> ScheduleRun | None:
    """Start one period's case, once; None when another runner already took the period."""
    key = periods.period_key(due_at)
    late = now - due_at > LATE_AFTER
    due_by = add_business_hours(calendar=calendar, start=due_at, hours=schedule.due_within_hours)
    context = {"schedule": schedule.pk, "name": schedule.name, "period": key, "due_at": due_at.isoformat()}
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = ScheduleRun.objects.create(
                    schedule=schedule, period_key=key, due_at=due_at, due_by=due_by, started_at=now, started_late=late
                )
        except IntegrityError:
            return None  # NOTE: another runner holds (or committed) this period: a no-op
        try:
            with transaction.atomic():
                if not schedule.requester.is_active:
                    username = schedule.requester.get_username()
                    raise ValidationFailed(MSG_REQUESTER_GONE.format(username=username))
                version = version_live(key=schedule.definition.key)
                data = _period_data(schedule, version, due_at, calendar)
                # The case's idempotency key names its period too: a second guard in the cases
                # table (unique per requester), and how a case page knows it was scheduled.
                case, _ = case_start(
                    workflow=schedule.definition.key,
                    data=data,
                    actor=schedule.requester,
                    idempotency_key=run_case_key(schedule_id=schedule.pk, period_key=key),
                )
                reason = (
                    f"Started late by schedule '{schedule.name}': due {due_at:%Y-%m-%d %H:%M} UTC."
                    if late
                    else f"Started by schedule '{schedule.name}'."
                )
                audit_record(
                    action=Action.SCHEDULE_STARTED, case=case, reason=reason, context={**context, "late": late}
                )
        except ServiceError as problem:
            run.status, run.error = RunStatus.FAILED, _words(problem)
            run.save(update_fields=["status", "error"])
            audit_record(action=Action.SCHEDULE_FAILED, reason=run.error, context=context)
            return run
        run.case = case
        run.save(update_fields=["case"])
    return run


def _words(problem: ServiceError) -> str:
    details = "; ".join(f"{field}: {' '.join(map(str, msgs))}" for field, msgs in problem.field_errors.items())
    return f"{problem.message} {details}".strip()[:2000]


def schedule_run_due(*, schedule: WorkflowSchedule, at: datetime | None = None) -> list[ScheduleRun]:
    """Start every period of `schedule` that began by `at` (now) and is not started yet: each
    once, the missed ones late and marked so. Returns the runs this call made."""
    now = at or timezone.now()
    calendar = calendar_for(definition=schedule.definition)
    moments, skipped = periods.due_moments(
        schedule=schedule, calendar=calendar, after=schedule.covered_until, until=now
    )
    made = [run for due_at in moments if (run := _start_period(schedule, due_at=due_at, now=now, calendar=calendar))]
    if skipped:
        with transaction.atomic():
            audit_record(
                action=Action.SCHEDULE_SKIPPED,
                reason=f"{skipped} older missed period(s) of '{schedule.name}' not started; "
                f"the newest {periods.MAX_CATCH_UP} were.",
                context={"schedule": schedule.pk, "skipped": skipped},
            )
    covered = moments[-1] if moments else schedule.covered_until
    following = periods.next_moment(schedule=schedule, calendar=calendar, after=max(now, covered))
    # NOTE: only forwards: a runner that read the schedule earlier never moves it back.
    WorkflowSchedule.objects.filter(pk=schedule.pk, covered_until__lte=covered).update(
        covered_until=covered, next_due_at=following
    )
    schedule.covered_until, schedule.next_due_at = covered, following
    return made


def schedules_run_due(*, at: datetime | None = None) -> list[ScheduleRun]:
    """What the q2 schedule and `manage.py run_schedules` call: every due schedule, once per period."""
    now = at or timezone.now()
    made = []
    for schedule in schedules_due(at=now):
        made.extend(schedule_run_due(schedule=schedule, at=now))
    return made
