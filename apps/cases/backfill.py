"""Filling the metric facts of cases closed or returned before the columns existed (migration
0009): the same rules as the code that now sets them (routing.py counts a return, Case.save the
wall-clock cycle time at close, `cycle_hours_of`). Kept here, outside the migration, so a test can run it."""

from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from .models import cycle_hours_of

REWORK_TASK = "cases/flows.CaseFlow.rework"
APPROVAL_TASK = "cases/flows.CaseFlow.approve"
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


def approval_decisions_fill(decision_model, task_model) -> int:
    """An ApprovalDecision row for every approval task a person decided before they were kept;
    returns how many were written. One read of the tasks with their cases, written in batches."""
    from django.db.models.fields.json import KeyTextTransform

    from .models import cycle_hours_of

    tasks = task_model.objects.filter(flow_task=APPROVAL_TASK, status="DONE").order_by("pk")
    rows, written = [], 0
    for pk, case_id, stage, created, finished, workflow_key, version_number, is_test in tasks.values_list(
        "pk",
        "process_id",
        KeyTextTransform("stage", "data"),
        "created",
        "finished",
        "process__case__workflow_key",
        "process__case__version_number",
        "process__case__is_test",
    ).iterator(chunk_size=BATCH):
        rows.append(
            decision_model(
                task_id=pk,
                case_id=case_id,
                workflow_key=workflow_key,
                version_number=version_number,
                is_test=is_test,
                stage=stage or "",
                decided_at=finished,
                hours=cycle_hours_of(created, finished),
            )
        )
        if len(rows) >= BATCH:
            decision_model.objects.bulk_create(rows)
            written, rows = written + len(rows), []
    decision_model.objects.bulk_create(rows)
    return written + len(rows)
