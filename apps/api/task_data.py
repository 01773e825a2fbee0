"""What the API shows of a task's own facts, read through the engine's `task_info` (apps/cases
owns `task.data`; nothing in apps/api reads its keys)."""

from apps.cases.taskinfo import APPROVAL, REWORK, task_info

KINDS = [APPROVAL, REWORK]


def task_kind(task) -> str:
    """approval (an approver decides) or rework (the requester corrects and resubmits)."""
    return task_info(task).kind


def task_label(task) -> str:
    """The step's name as the workflow owner wrote it; the flow node's name when it has none."""
    return task_info(task).label or str(task.flow_task)


def task_stage(task) -> str | None:
    return task_info(task).stage or None


def task_why(task) -> str:
    """Why the task exists (the routing rule that created it); empty when nothing was recorded."""
    return task_info(task).why


def task_missing(task) -> list | None:
    """The fields a rework task asks the requester to fill in; None on any other kind."""
    info = task_info(task)
    return list(info.missing) if info.kind == REWORK else None


def task_message(task) -> str | None:
    """The approver's note to the requester on a rework task; None on any other kind."""
    info = task_info(task)
    return info.message if info.kind == REWORK else None


def task_decision(task) -> str | None:
    """The decision recorded when the task was completed (approve, reject, return, submit)."""
    return task_info(task).decision or None


def task_fields(task) -> list:
    """The fields the approver fills in to approve (send them in `data` with the decision)."""
    return list(task_info(task).fields)
