"""How cases and tasks look in the API. Plain functions: fast, and easy to read in one place."""

from apps.audit.models import AuditEvent
from apps.cases.nodes import task_role
from apps.sla.selectors_due import task_due_info


def task_kind(task) -> str:
    return task.data.get("kind", "approval")


def task_repr(task) -> dict:
    status = str(task.status)
    return {
        "id": task.pk,
        "case": task.process_id,
        "name": task.data.get("label") or str(task.flow_task),
        "kind": task_kind(task),
        "status": "open" if status in {"NEW", "ASSIGNED"} else status.lower(),
        "assignee": task.owner.get_username() if task.owner_id else None,
        "role": task_role(task),
        "stage": task.data.get("stage"),
        "created": task.created.isoformat(),
        **task_due_info(task),
        "why": task.data.get("why", ""),
        "missing": task.data.get("missing", []) if task_kind(task) == "rework" else None,
        "message": task.data.get("message", "") if task_kind(task) == "rework" else None,
    }


def event_repr(event: AuditEvent) -> dict:
    return {
        "at": event.at.isoformat(),
        "actor": event.actor_name,
        "action": event.action,
        "step": event.step,
        "reason": event.reason,
        "comment": event.comment,
    }


def case_repr(case, events: list[AuditEvent]) -> dict:
    return {
        "id": case.pk,
        "workflow": case.workflow_key,
        "version": case.version_number,
        "test": case.is_test,
        "status": case.status_label,
        "outcome": case.outcome,
        "state": case.state,
        "requester": case.requester.get_username(),
        "created": case.created.isoformat(),
        "closed": case.finished.isoformat() if case.finished else None,
        "closed_reason": case.closed_reason,
        "data": case.data,
        "open_tasks": [task_repr(t) for t in getattr(case, "open_tasks", [])],
        **_case_due(case),
        "route": case.route,
        "history": [event_repr(e) for e in events],
    }


def _case_due(case) -> dict:
    """The case's own SLA if it has one, else the earliest due of its open tasks."""
    infos = [task_due_info(t) for t in getattr(case, "open_tasks", [])]
    dues = sorted(i["due"] for i in infos if i["due"])
    return {"due": dues[0] if dues else None, "breached": any(i["breached"] for i in infos)}
