"""Filling the metric fields of clocks written before they existed (migration 0003): the same
rules as the code that now sets them when a clock starts, ends, breaches or fires (clocks.py,
sweeper.py), applied to what the rows already say (`clocks.clock_settle` decides met or breached). Kept here, outside the migration, so a test
can run it on clocks made through the services."""

from datetime import datetime

BATCH = 2000


def clock_metric_fields_fill(clock_model) -> int:
    """Set `stage`, `counted_at`, `result` and `last_fired_at` of every clock from its row, its
    task and its case; returns how many clocks were written. `clock_model` is SlaClock (a
    migration passes its historical model)."""
    from .clocks import clock_settle

    rows = (
        clock_model.objects.order_by("pk")
        .values_list(
            "pk",
            "task_id",
            "kind",
            "due",
            "breached_at",
            "stopped_at",
            "levels",
            "next_level",
            "task__data",
            "task__finished",
            "case__finished",
        )
        .iterator(chunk_size=BATCH)
    )
    changed, written = [], 0
    for pk, task_id, kind, due, breached_at, stopped_at, levels, next_level, data, task_end, case_end in rows:
        clock = clock_model(pk=pk)
        data = data or {}
        if task_id:
            clock.stage = "rework" if data.get("kind") == "rework" else (data.get("stage") or "")
        else:
            clock.stage = kind
        end = (task_end if task_id else case_end) or stopped_at
        if end is not None or breached_at is not None:  # else it runs in time: not counted yet
            clock.due, clock.breached_at = due, breached_at
            clock_settle(clock, end=end or breached_at)
        fired = (levels or [])[:next_level]
        clock.last_fired_at = datetime.fromisoformat(fired[-1]["at"]) if fired else None
        changed.append(clock)
        if len(changed) >= BATCH:
            written += _write(clock_model, changed)
            changed = []
    return written + _write(clock_model, changed)


def _write(clock_model, clocks) -> int:
    if clocks:
        clock_model.objects.bulk_update(clocks, ["stage", "counted_at", "result", "last_fired_at"])
    return len(clocks)


def case_cycle_business_hours_fill(case_model) -> int:
    """Set `cycle_business_hours` of every closed real case without it, on its version's SLA
    calendar (as `clocks.case_cycle_record` does at close); returns how many were written.
    `case_model` is Case (a migration passes its historical model); the calendars are read
    through the real models, as the code that reads them at close does."""
    from apps.definitions.accessors import spec_of
    from apps.definitions.models import DefinitionVersion

    from .hours_index import BusinessHoursIndex
    from .selectors import calendar_for

    closed = case_model.objects.filter(finished__isnull=False, cycle_business_hours__isnull=True, is_test=False)
    indexes: dict = {}
    by_name: dict = {}
    rows = []
    for pk, version_id, created, finished in (
        closed.order_by("pk").values_list("pk", "version_id", "created", "finished").iterator(chunk_size=BATCH)
    ):
        if version_id not in indexes:
            version = DefinitionVersion.objects.get(pk=version_id)
            name = spec_of(version).calendar or ""
            if name not in by_name:
                by_name[name] = BusinessHoursIndex(calendar_for(definition=version))
            indexes[version_id] = by_name[name]
        rows.append(case_model(pk=pk, cycle_business_hours=indexes[version_id].hours(created, finished)))
    case_model.objects.bulk_update(rows, ["cycle_business_hours"], batch_size=BATCH)
    return len(rows)


def clock_ended_tasks_settle(clock_model) -> int:
    """Settle the clocks of people's tasks that ended while their case stays open, written before
    a task's end settled its clock (migration 0007): as `clocks.clock_task_ended` would have, at
    the task's end. Returns how many clocks were settled. One UPDATE."""
    from django.db.models import OuterRef, Subquery

    from .clocks import _settled_at

    task_end = Subquery(clock_model.objects.filter(pk=OuterRef("pk")).values("task__finished")[:1])
    ended = clock_model.objects.filter(
        counted_at__isnull=True, kind__in=["approval", "rework"], task__finished__isnull=False
    )
    counted_at, result = _settled_at(task_end)
    return ended.update(counted_at=counted_at, result=result)


def clock_workflow_copy(clock_model) -> int:
    """Copy each clock's case's workflow and version onto the clock, as `clocks.clock_build` now
    does when a clock starts (migration 0008). Returns how many clocks were written. One UPDATE."""
    from django.db.models import OuterRef, Subquery

    case = clock_model.objects.filter(pk=OuterRef("pk"))
    return clock_model.objects.update(
        workflow_key=Subquery(case.values("case__workflow_key")[:1]),
        version_number=Subquery(case.values("case__version_number")[:1]),
    )
