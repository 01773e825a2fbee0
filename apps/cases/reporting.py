"""Reads of the engine's task table for metrics and dashboards (apps.metrics): approvals decided
and open, the role filter's expression, the steps the bottleneck view times.

viewflow's tables and `task.data` belong to this app: the metrics app passes a queryset of cases
(already narrowed to a workflow, a version, real cases only) and gets plain rows back. Each
function is one statement; none reads more columns than the numbers need.
"""

from collections import defaultdict

from django.db.models import Count, Exists, Min, OuterRef
from django.db.models.fields.json import KeyTextTransform
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from apps.core.percentiles import PercentileCont, in_database, percentile, rounded

from .flows import CaseFlow
from .models import ApprovalDecision
from .nodes import ROLE_PREFIX
from .policy import OPEN_TASK_STATUSES
from .taskinfo import APPROVAL, REWORK


def _approvals():
    return Task.objects.filter(flow_task=CaseFlow.approve)


def case_had_role_queue(role: str) -> Exists:
    """An expression for Case querysets: the case had an approval task in `role`'s queue (routed
    there, or requeued there by hand), whoever claimed and decided it."""
    return Exists(_approvals().filter(process_id=OuterRef("pk"), owner_permission=f"{ROLE_PREFIX}{role}"))


def _decided(cases, finished_from, finished_to):
    """The approval tasks of `cases` a person decided, `finished` in [from, to) (task_approval_done_finished)."""
    tasks = _approvals().filter(status=STATUS.DONE, process_id__in=cases.values("pk"))
    if finished_from is not None:
        tasks = tasks.filter(finished__gte=finished_from)
    if finished_to is not None:
        tasks = tasks.filter(finished__lt=finished_to)
    return tasks


def approvals_decided(*, cases, finished_from=None, finished_to=None) -> list[dict]:
    """Approval tasks of `cases` that a person decided (cancelled ones are not decisions), as
    {task_id, case_id, stage, created, finished}; `finished` in [from, to)."""
    tasks = _decided(cases, finished_from, finished_to)
    rows = tasks.order_by().values_list("pk", "process_id", KeyTextTransform("stage", "data"), "created", "finished")
    return [
        {"task_id": pk, "case_id": case_id, "stage": stage or "", "created": created, "finished": finished}
        for pk, case_id, stage, created, finished in rows
    ]


def case_copies_of(rows, *, cases=None, workflows=None, version=None):
    """`rows`, a queryset of a model that copies its case's `workflow_key` and `version_number`
    (an approval decision, an SLA clock) and points at it as `case`, narrowed to `cases` (a Case
    queryset) if given, else to the `workflows` named (None: all), to one `version` if given:
    from the copies, without joining the cases. Unordered."""
    rows = rows.order_by()
    if cases is not None:
        rows = rows.filter(case__in=cases.values("pk"))
    if workflows is not None:
        rows = rows.filter(workflow_key__in=list(workflows))
    if version:
        rows = rows.filter(version_number=version)
    return rows


def approval_latency_by_stage(
    *, cases=None, workflows=None, version=None, finished_from=None, finished_to=None
) -> dict[str, dict]:
    """{stage key: {p50, p90, count}}: hours from created to decided of the real (not test)
    approvals decided in [from, to), read from their ApprovalDecision rows: of `cases` (a Case
    queryset) if given, else of the `workflows` named (None: all), of one `version` if given.
    One query, an index range scan covering what it reads; on PostgreSQL the database computes
    the percentiles (apps.core.percentiles), elsewhere Python does over the rows."""
    decisions = case_copies_of(
        ApprovalDecision.objects.filter(is_test=False), cases=cases, workflows=workflows, version=version
    )
    if finished_from is not None:
        decisions = decisions.filter(decided_at__gte=finished_from)
    if finished_to is not None:
        decisions = decisions.filter(decided_at__lt=finished_to)
    if in_database(decisions):
        rows = decisions.values("stage").annotate(
            p50=PercentileCont("hours", 0.5), p90=PercentileCont("hours", 0.9), count=Count("pk")
        )
        return {
            row["stage"]: {"p50": rounded(row["p50"]), "p90": rounded(row["p90"]), "count": row["count"]}
            for row in rows
        }
    values = defaultdict(list)
    for stage, hours in decisions.values_list("stage", "hours"):
        values[stage].append(hours)
    return {
        stage: {"p50": percentile(hours, 0.5), "p90": percentile(hours, 0.9), "count": len(hours)}
        for stage, hours in values.items()
    }


def approvals_open(*, cases, owner_ids=None) -> list[dict]:
    """Open approval tasks of `cases` (held by one of `owner_ids`, if given), oldest first, as
    {task_id, case_id, stage, created, owner_id, owner (username or ""), role (the queue's role,
    "" when held by a person)}."""
    tasks = _approvals().filter(status__in=OPEN_TASK_STATUSES, process_id__in=cases.values("pk"))
    if owner_ids is not None:
        tasks = tasks.filter(owner_id__in=list(owner_ids))
    rows = tasks.order_by("created", "pk").values_list(
        "pk",
        "process_id",
        KeyTextTransform("stage", "data"),
        "created",
        "owner_id",
        "owner__username",
        "owner_permission",
    )
    return [
        {
            "task_id": pk,
            "case_id": case_id,
            "stage": stage or "",
            "created": created,
            "owner_id": owner_id,
            "owner": username or "",
            "role": "" if owner_id else (permission or "").removeprefix(ROLE_PREFIX),
        }
        for pk, case_id, stage, created, owner_id, username, permission in rows
    ]


def approvals_open_by_holder(*, cases) -> list[dict]:
    """Open approval tasks of `cases` counted by who holds them, without reading each task:
    [{owner (username, "" for a queue), role (the queue's role, "" when a person holds them),
    count, oldest (the earliest created)}], in no particular order. One query."""
    rows = (
        _approvals()
        .filter(status__in=OPEN_TASK_STATUSES, process_id__in=cases.values("pk"))
        .order_by()
        .values_list("owner__username", "owner_permission")
        .annotate(count=Count("pk"), oldest=Min("created"))
    )
    found: dict[tuple, dict] = {}
    for username, permission, count, oldest in rows:
        key = (username or "", "" if username else (permission or "").removeprefix(ROLE_PREFIX))
        group = found.setdefault(key, {"owner": key[0], "role": key[1], "count": 0, "oldest": oldest})
        group["count"] += count
        group["oldest"] = min(group["oldest"], oldest)
    return list(found.values())


def person_steps_passed(*, cases) -> list[dict]:
    """The approval and rework tasks of `cases` that ended (decided, or cancelled because the stage
    settled without them or the case closed), as {case_id, kind (APPROVAL or REWORK), stage,
    approver (the spec's approver key), round, decided (a person decided it), created, finished}.
    One query."""
    tasks = (
        Task.objects.filter(
            flow_task__in=[CaseFlow.approve, CaseFlow.rework],
            process_id__in=cases.values("pk"),
            status__in=[STATUS.DONE, STATUS.CANCELED],
        )
        .order_by()
        .values_list(
            "process_id",
            KeyTextTransform("kind", "data"),
            KeyTextTransform("stage", "data"),
            KeyTextTransform("approver", "data"),
            KeyTextTransform("round", "data"),
            "status",
            "created",
            "finished",
        )
    )
    return [
        {
            "case_id": case_id,
            "kind": REWORK if kind == REWORK else APPROVAL,
            "stage": stage or "",
            "approver": approver or "",
            "round": int(round_) if round_ not in (None, "") else None,
            "decided": status == STATUS.DONE,
            "created": created,
            "finished": finished,
        }
        for case_id, kind, stage, approver, round_, status, created, finished in tasks
    ]
