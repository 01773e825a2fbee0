"""Reads of the engine's task table for the bottleneck view and the metrics' role filter
(apps.metrics): which people's steps a case passed, and for how long.

Kept beside `reporting.py` (same rules: the metrics app passes a queryset of cases and gets plain
rows back; viewflow's tables and `task.data` stay in this app), in a module of its own so the two
can change independently.
"""

from django.db.models import Exists, OuterRef
from django.db.models.fields.json import KeyTextTransform
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from .flows import CaseFlow
from .nodes import ROLE_PREFIX
from .taskinfo import APPROVAL, REWORK


def case_had_role_queue(role: str) -> Exists:
    """An expression for Case querysets: the case had an approval task in `role`'s queue (routed
    there, or requeued there by hand), whoever claimed and decided it."""
    return Exists(
        Task.objects.filter(
            flow_task=CaseFlow.approve, process_id=OuterRef("pk"), owner_permission=f"{ROLE_PREFIX}{role}"
        )
    )


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
