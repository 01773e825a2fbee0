"""Filling the metric fields of clocks written before they existed (migration 0003): the same
rules as the code that now sets them when a clock starts, ends, breaches or fires (clocks.py,
sweeper.py), applied to what the rows already say. Kept here, outside the migration, so a test
can run it on clocks made through the services."""

from datetime import datetime

BATCH = 2000


def clock_metric_fields_fill(clock_model) -> int:
    """Set `stage`, `counted_at`, `result` and `last_fired_at` of every clock from its row, its
    task and its case; returns how many clocks were written. `clock_model` is SlaClock (a
    migration passes its historical model)."""
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
        late_at = breached_at or (due if due is not None and end is not None and due < end else None)
        clock.counted_at = late_at or end
        clock.result = "" if clock.counted_at is None else ("breached" if late_at else "met")
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
