"""What a person's task is about, read from `task.data` in one place.

The engine keeps a task's facts in viewflow's `task.data` JSON (its kind, label, stage, round,
why it was assigned, the decision taken on it). Nothing outside this app reads those keys: the
feature apps and pages ask `task_info(task)` and get named attributes.
"""

from dataclasses import dataclass

APPROVAL, REWORK, REPAIR = "approval", "rework", "repair"


@dataclass(frozen=True)
class TaskInfo:
    kind: str  # APPROVAL or REWORK
    label: str
    stage: str
    round: int | None
    role: str  # the role whose queue it was routed to ("" when assigned to a person)
    approver: str  # the spec's approver key
    routed_to: str  # the username routing chose ("" for a role's queue); a test case's task stands for them
    why: str  # why this task, why this person (routing's explanation)
    assignee_note: str
    on_behalf_of: str  # the absent person a delegate acts for
    previous_owners: tuple[str, ...]
    # an approval task: the fields its approver fills in to approve, and what they entered
    fields: tuple[str, ...]
    entered: dict
    # a rework task: what the requester must complete
    missing: tuple
    message: str
    # once decided
    decision: str
    reason: str
    reason_code: str
    comment: str
    decided_by: str

    @property
    def is_rework(self) -> bool:
        return self.kind == REWORK

    @property
    def is_decided(self) -> bool:
        return bool(self.decision)


def task_info(task) -> TaskInfo:
    data = getattr(task, "data", None) or {}
    return TaskInfo(
        kind=data.get("kind", APPROVAL),
        label=data.get("label") or "",
        stage=data.get("stage") or "",
        round=data.get("round"),
        role=data.get("role") or "",
        approver=data.get("approver") or "",
        routed_to=data.get("username") or "",
        why=data.get("why") or "",
        assignee_note=data.get("assignee_note") or "",
        on_behalf_of=data.get("on_behalf_of") or "",
        previous_owners=tuple(data.get("previous_owners") or ()),
        fields=tuple(data.get("fields") or ()),
        entered=dict(data.get("entered") or {}),
        missing=tuple(data.get("missing") or ()),
        message=data.get("message") or "",
        decision=data.get("decision") or "",
        reason=data.get("reason") or "",
        reason_code=data.get("reason_code") or "",
        comment=data.get("comment") or "",
        decided_by=data.get("decided_by") or "",
    )


def task_label(task, default: str = "Task") -> str:
    return task_info(task).label or default


def task_note(task, **facts) -> None:
    """Record facts on a task (e.g. the automated step a step task stands for), and save them.

    The one writer of `task.data` outside the engine's own services: feature apps tell the engine
    what a task is about through this instead of writing the JSON themselves.
    """
    task.data = {**(task.data or {}), **facts}
    task.save(update_fields=["data"])
