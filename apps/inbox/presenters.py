"""Plain words for what the engine recorded: route explanations, task states, timeline rows."""

from apps.cases.nodes import task_role
from apps.cases.taskinfo import task_info
from apps.definitions.conditions import AS_STORED, Words, evaluate

TASK_STATE = {"NEW": "Waiting", "ASSIGNED": "In progress", "DONE": "Done", "CANCELED": "Cancelled"}
DECISION = {"approve": "Approved", "reject": "Rejected", "return": "Returned", "submit": "Resubmitted"}


def route_lines(route: dict, *, words: Words = AS_STORED) -> list[dict]:
    """One line per rule: 'Finance approval: Amount 5,000 >= 1,000' with whether it applied.

    The words are written again from the recorded condition and inputs, with `words` (the case
    version's `spec.words`: field labels, numbers formatted): cases routed before labels were
    used read the same as new ones."""
    lines = []
    for rule in route.get("rules", []):
        condition = rule.get("condition")
        text = evaluate(condition, rule.get("inputs") or {}, words=words).text if condition else ""
        lines.append({"rule": rule["rule"], "text": text or rule.get("text", ""), "applied": rule["result"]})
    return lines


def task_state(task) -> str:
    if task.status == "DONE":
        return DECISION.get(task_info(task).decision, "Done")
    return TASK_STATE.get(str(task.status), str(task.status).title())


def task_owner(task) -> str:
    if task.owner_id:
        return task.owner.get_username()
    role = task_role(task)
    return f"{role} queue" if role else "—"


def business_waiting(tasks) -> None:
    """Set `business_hours_waiting` on each task: the aging people act on, in business hours of
    the default calendar (one calendar lookup for the whole page, no query per row)."""
    from django.utils import timezone

    from apps.sla.calendar import business_hours_between
    from apps.sla.selectors import calendar_default

    tasks = list(tasks)
    if not tasks:
        return
    calendar, now = calendar_default(), timezone.now()
    for task in tasks:
        task.business_hours_waiting = business_hours_between(calendar=calendar, start=task.created, end=now)
