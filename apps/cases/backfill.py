"""Filling the metric facts of cases closed or returned before the columns existed (migration
0009): the same rules as the code that now sets them (routing.py counts a return, Case.save the
wall-clock cycle time at close, `cycle_hours_of`). Kept here, outside the migration, so a test can run it."""

from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from .models import cycle_hours_of

REWORK_TASK = "cases/flows.CaseFlow.rework"
BATCH = 2000


def case_facts_fill(case_model, task_model) -> int:
    """Set `returned_count` (the case's rework tasks: each return, or data missing, made one) and
    `cycle_hours` (closed cases, start to close) of every case; returns how many cases were
    closed. `case_model`, `task_model`: Case and viewflow's Task (a migration passes its
    historical models)."""
    reworks = (
        task_model.objects.filter(process_id=OuterRef("pk"), flow_task=REWORK_TASK)
        .order_by()
        .values("process_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    case_model.objects.update(returned_count=Coalesce(Subquery(reworks), Value(0)))
    closed = case_model.objects.filter(finished__isnull=False, cycle_hours__isnull=True)
    rows = []
    for pk, created, finished in closed.values_list("pk", "created", "finished").iterator(chunk_size=BATCH):
        rows.append(case_model(pk=pk, cycle_hours=cycle_hours_of(created, finished)))
    case_model.objects.bulk_update(rows, ["cycle_hours"], batch_size=BATCH)
    return len(rows)
