"""What an SLA level does when it fires. Each action goes through the same services as a
person's action and writes its audit row as SYSTEM, naming the policy level that fired."""

from django.contrib.auth import get_user_model

from apps.audit.models import Action
from apps.audit.services import audit_record
from apps.cases import events
from apps.cases.nodes import task_role
from apps.cases.reassignment import backup_for, first_eligible
from apps.cases.services import case_auto_close, task_reassign
from apps.cases.taskinfo import task_info, task_label
from apps.core.errors import ServiceError
from apps.core.moments import moment_text
from apps.definitions.accessors import spec_of
from apps.notify.services import notification_send, notification_send_to_address
from apps.org import roles
from apps.org.selectors import role_members, user_manager, user_manager_chain, user_time_zones

from .models import ClockKind, SlaClock

User = get_user_model()

MSG_NO_MANAGER = "{owner} has no manager to escalate to."
MSG_STAYS = "Nobody else may take it: {why} So {where}; the operators were told."


def _level_context(clock: SlaClock, level: dict) -> dict:
    return {
        "policy": clock.kind,
        "level": clock.next_level + 1,
        "action": level["action"],
        "after_hours": level.get("after_hours"),
        "business_hours": clock.business_hours,
        "due": clock.due.isoformat() if clock.due else None,
    }


def _task_people(task) -> list:
    """Who a task waits on: its owner, or the members of its role queue."""
    if task.owner_id:
        return [task.owner]
    role = task_role(task)
    return role_members(role=role) if role else []


def _notify(users, *, kind, clock, level, subject, body, task=None):
    """`body` is text, or a function of the recipient's time zone for a body that shows a time:
    each person reads it in their own zone (one query for everybody's zones)."""
    url = f"/tasks/{task.pk}/" if task is not None else f"/cases/{clock.case_id}/"
    groups = {None: list(users)}
    if callable(body):
        zones, groups = user_time_zones(users=users), {}
        for user in users:
            groups.setdefault(zones.get(getattr(user, "pk", None)), []).append(user)
    for zone, people in groups.items():
        notification_send(
            users=people,
            kind=kind,
            subject=subject,
            body=body(zone) if callable(body) else body,
            url=url,
            case=clock.case,
            task=task,
            dedupe_key=f"sla:{clock.pk}:{clock.next_level}",
        )


def _due(clock, verb: str):
    """The body naming the due time ("It is due 3 Dec 2026 14:00 CET."), in each recipient's zone."""
    return lambda zone: f"It {verb} due {moment_text(clock.due, zone=zone)}."


def _label(task, clock=None) -> str:
    if clock is not None and clock.kind == ClockKind.WAIT:  # a step's task has no label: its stage's name
        stage = spec_of(clock.case.version).stage(clock.stage)
        return stage.name if stage is not None else "Waiting step"
    return task_label(task, "Task") if task is not None else "Case"


def fire_breach(clock, level, task):
    audit_record(
        action=Action.SLA_BREACHED,
        case=clock.case,
        task=task,
        step=_label(task, clock),
        reason=f"Not done within {level['after_hours']:g} {'business ' if clock.business_hours else ''}hours.",
        context=_level_context(clock, level),
    )
    return "breached"


def _tell(clock, level, task, people, *, kind, audit_action, subject, body, reason=None, told="Notified", extra=None):
    """Notify people about a task (or the case) and audit what this level did, in one step."""
    _notify(people, kind=kind, clock=clock, level=level, task=task, subject=subject, body=body)
    names = ", ".join(u.username for u in people)
    audit_record(
        action=audit_action,
        case=clock.case,
        task=task,
        step=_label(task, clock),
        reason=reason or f"{told} {names or 'nobody'}.",
        context={**_level_context(clock, level), **(extra or {})},
    )


def fire_remind(clock, level, task):
    # A wait step waits on another side, not on a person of ours: its requester is reminded.
    waiting_on_us = task is not None and clock.kind != ClockKind.WAIT
    people = _task_people(task) if waiting_on_us else [clock.case.requester]
    _tell(
        clock,
        level,
        task,
        people,
        kind="reminder",
        audit_action=Action.SLA_REMINDED,
        told="Reminded",
        subject=f"Reminder: {_label(task, clock)} on request #{clock.case_id} is waiting",
        body=_due(clock, "is"),
    )
    return "reminded"


def _notify_targets(clock, level, task) -> list:
    target = level.get("notify") or {"type": "manager"}
    if target.get("role") or target.get("type") == "role":
        return role_members(role=target["role"])
    if target.get("user") or target.get("type") == "user":
        return list(User.objects.filter(username=target["user"], is_active=True))
    owner = task.owner if task is not None and task.owner_id else clock.case.requester
    manager = user_manager(user=owner)
    return [manager] if manager else role_members(role=roles.OPERATORS)


MSG_CONTACT_SUBJECT = "Reminder: we are waiting for you (request #{case})"
MSG_CONTACT_BODY = (
    "{step} for request #{case} is still open on our side. Please send what we asked for; "
    "if you already did, you can ignore this message."
)
MSG_CONTACT_TOLD = "Reminded the contact in {field}: {address}."
MSG_CONTACT_MISSING = "Nobody reminded: the request has no address in {field}."


def _notify_contact(clock, level, task, field: str):
    """Someone outside the organisation, at the address a case field holds (a customer contact)."""
    address = str((clock.case.data or {}).get(field) or "").strip()
    if address:
        notification_send_to_address(
            address=address,
            kind="reminder",
            subject=MSG_CONTACT_SUBJECT.format(case=clock.case_id),
            body=MSG_CONTACT_BODY.format(step=_label(task, clock), case=clock.case_id),
            case=clock.case,
            dedupe_key=f"sla:{clock.pk}:{clock.next_level}",
        )
    audit_record(
        action=Action.SLA_NOTIFIED,
        case=clock.case,
        task=task,
        step=_label(task, clock),
        reason=(MSG_CONTACT_TOLD if address else MSG_CONTACT_MISSING).format(field=field, address=address),
        context={**_level_context(clock, level), "contact_field": field},
    )
    return f"reminded {address}" if address else "no contact address"


def fire_notify(clock, level, task):
    field = (level.get("notify") or {}).get("field")
    if field:
        return _notify_contact(clock, level, task, field)
    _tell(
        clock,
        level,
        task,
        _notify_targets(clock, level, task),
        kind="escalation",
        audit_action=Action.SLA_NOTIFIED,
        told="Notified",
        subject=f"Overdue: {_label(task, clock)} on request #{clock.case_id}",
        body=_due(clock, "was"),
    )
    return "notified"


def _reassign(clock, level, task, to_user, *, reason, audit_action, cause):
    """Move the task; the engine tells the new holder and the one who lost it (apps.notify)."""
    task_reassign(task_id=task.pk, to_user=to_user, reason=reason, context=_level_context(clock, level), cause=cause)
    audit_record(
        action=audit_action,
        case=clock.case,
        task=task,
        step=_label(task, clock),
        reason=reason,
        context={**_level_context(clock, level), "to": to_user.username},
    )


def _stays(clock, level, task, *, audit_action, why: str) -> str:
    """Nobody eligible to take the task: it stays where it is; its people and the operators are told."""
    where = f"it stays with {task.owner.username}" if task.owner_id else "it stays in its queue"
    reason = MSG_STAYS.format(why=why, where=where)
    _tell(
        clock,
        level,
        task,
        _task_people(task) + role_members(role=roles.OPERATORS),
        kind="escalation" if audit_action == Action.SLA_ESCALATED else "reroute",
        audit_action=audit_action,
        subject=f"{_label(task, clock)} on request #{clock.case_id} is overdue and nobody else may take it",
        body=f"{reason} Please route it by hand.",
        reason=reason,
    )
    return "stays: nobody eligible"


def fire_escalate(clock, level, task):
    """Reassign to the owner's manager (or the first manager up the chain the segregation-of-duties
    rule allows); an unclaimed queue task alerts the queue and operators."""
    if task.owner_id:
        chain = user_manager_chain(user=task.owner)
        refused = []
        manager = first_eligible(task=task, case=clock.case, candidates=chain, refused=refused)
        if manager is not None:
            reason = f"No decision from {task.owner.username} in time: escalated to their manager {manager.username}."
            if refused:
                reason = f"{reason} ({' '.join(refused)})"
            _reassign(
                clock, level, task, manager, reason=reason, audit_action=Action.SLA_ESCALATED, cause=events.ESCALATION
            )
            return f"escalated to {manager.username}"
        why = " ".join(refused) if chain else MSG_NO_MANAGER.format(owner=task.owner.username)
        return _stays(clock, level, task, audit_action=Action.SLA_ESCALATED, why=why)
    _tell(
        clock,
        level,
        task,
        _task_people(task) + role_members(role=roles.OPERATORS),
        kind="escalation",
        audit_action=Action.SLA_ESCALATED,
        subject=f"Escalation: {_label(task, clock)} on request #{clock.case_id} is overdue",
        body="Nobody took it in time; please pick it up.",
        reason="No owner to escalate from: the queue and the operators were alerted.",
    )
    return "escalated to the queue"


def fire_reroute(clock, level, task):
    refused = []
    backup = backup_for(task=task, case=clock.case, refused=refused)
    if backup is None and refused:
        return _stays(clock, level, task, audit_action=Action.SLA_REROUTED, why=" ".join(refused))
    if backup is None:
        _tell(
            clock,
            level,
            task,
            role_members(role=roles.OPERATORS),
            kind="reroute",
            audit_action=Action.SLA_REROUTED,
            subject=f"No backup for {_label(task, clock)} on request #{clock.case_id}",
            body="Please route it by hand.",
            reason="No backup found: operators were asked to route it.",
        )
        return "no backup"
    owner = task.owner.username if task.owner_id else "the queue"
    reason = f"Still no decision: rerouted from {owner} to the backup {backup.username}."
    _reassign(clock, level, task, backup, reason=reason, audit_action=Action.SLA_REROUTED, cause=events.REROUTE)
    return f"rerouted to {backup.username}"


def fire_auto_close(clock, level, task):
    info = task_info(task) if task is not None else None
    waited = list(info.missing) if info is not None else []
    reason = (
        f"Auto-closed: the requester did not respond within {level['after_hours']:g} "
        f"{'business ' if clock.business_hours else ''}hours."
    )
    evidence = {
        **_level_context(clock, level),
        "waited_for": waited,
        "waiting_since": clock.started.isoformat(),
        "message": info.message if info is not None else "",
    }
    case_auto_close(case_id=clock.case_id, reason=reason, evidence=evidence)  # the requester is told (apps.notify)
    return "auto-closed"


FIRE = {
    "breach": fire_breach,
    "remind": fire_remind,
    "notify": fire_notify,
    "escalate": fire_escalate,
    "reroute": fire_reroute,
    "auto_close": fire_auto_close,
}


def fire(clock: SlaClock, level: dict, task) -> str:
    """Apply one level; a refusal (e.g. no one may take the task) is recorded, not raised."""
    try:
        return FIRE[level["action"]](clock, level, task)
    except ServiceError as refusal:
        # E.g. the chosen person took another approval of the stage meanwhile: the operators decide.
        _tell(
            clock,
            level,
            task,
            role_members(role=roles.OPERATORS),
            kind="escalation",
            audit_action=Action.SLA_NOTIFIED,
            subject=f"{level['action'].capitalize()} of {_label(task, clock)} on request #{clock.case_id} failed",
            body=refusal.message,
            reason=f"{level['action']} could not be applied: {refusal.message}",
        )
        return f"skipped: {refusal.message}"
