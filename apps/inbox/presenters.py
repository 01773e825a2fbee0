"""Plain words for what the engine recorded: route explanations, task states, timeline rows."""

from decimal import Decimal, InvalidOperation

from apps.cases.nodes import task_role
from apps.cases.taskinfo import task_info

TASK_STATE = {"NEW": "Waiting", "ASSIGNED": "In progress", "DONE": "Done", "CANCELED": "Cancelled"}
DECISION = {"approve": "Approved", "reject": "Rejected", "return": "Returned", "submit": "Resubmitted"}


def number(value) -> str:
    """5000.00 -> 5,000; 1234.5 -> 1,234.50 (for explanations people read)."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if amount == amount.to_integral():
        return f"{amount:,.0f}"
    return f"{amount:,.2f}"


def clause_words(clause: dict) -> str:
    if clause["op"] in {"is empty", "is not empty"}:
        return f"{clause['field']} {clause['op']}"
    actual, expected = clause.get("actual"), clause.get("value")
    if isinstance(expected, list):
        expected = ", ".join(str(v) for v in expected)
    return f"{clause['field'].replace('_', ' ')} {number(actual)} {clause['op']} {number(expected)}"


def route_lines(route: dict) -> list[dict]:
    """One line per rule: 'Finance approval: amount 5,000 >= 1,000' with whether it applied."""
    lines = []
    for rule in route.get("rules", []):
        condition = rule.get("condition") or {}
        clauses = condition.get("all") or condition.get("any") or ([condition] if "field" in condition else [])
        joiner = " and " if "all" in condition else " or "
        words = joiner.join(clause_words({**c, "actual": rule.get("inputs", {}).get(c["field"])}) for c in clauses)
        lines.append({"rule": rule["rule"], "text": words or rule.get("text", ""), "applied": rule["result"]})
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
