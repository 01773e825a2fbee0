"""What the API shows of a task's own data: the one place in apps/api that reads `task.data`.

NOTE: apps/cases owns `task.data`; when it offers typed accessors for a task's kind, label and
decision, these functions become calls to them and nothing else in apps/api has to change.
"""

APPROVAL = "approval"
REWORK = "rework"
KINDS = [APPROVAL, REWORK]


def task_kind(task) -> str:
    """approval (an approver decides) or rework (the requester corrects and resubmits)."""
    return task.data.get("kind", APPROVAL)


def task_label(task) -> str:
    """The step's name as the workflow owner wrote it; the flow node's name when it has none."""
    return task.data.get("label") or str(task.flow_task)


def task_stage(task) -> str | None:
    return task.data.get("stage")


def task_why(task) -> str:
    """Why the task exists (the routing rule that created it); empty when nothing was recorded."""
    return task.data.get("why", "")


def task_missing(task) -> list[str] | None:
    """The fields a rework task asks the requester to fill in; None on any other kind."""
    return task.data.get("missing", []) if task_kind(task) == REWORK else None


def task_message(task) -> str | None:
    """The approver's note to the requester on a rework task; None on any other kind."""
    return task.data.get("message", "") if task_kind(task) == REWORK else None


def task_decision(task) -> str | None:
    """The decision recorded when the task was completed (approve, reject, return, submit)."""
    return task.data.get("decision")
