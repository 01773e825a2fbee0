"""Telling people about their cases and tasks, following the engine's lifecycle events
(apps.cases.events), whatever moved the work: a person, the SLA sweep, a handover, a
deactivation, an operator. Whoever gains a task is told, whoever loses one is told, nobody is
told about what they did themselves. Rows are written in the transaction of the change; e-mail
leaves after commit (services.notification_send). Connected in NotifyConfig.ready()."""

from django.dispatch import receiver

from apps.audit.models import Action
from apps.cases import events
from apps.cases.policy import REWORK, task_kind
from apps.cases.taskinfo import task_info, task_label
from apps.org import roles
from apps.org.selectors import role_members

from .models import Kind
from .services import notification_send

# What a person who gains a task is told it is, by what moved it to them.
GAINED_KIND = {events.ESCALATION: Kind.ESCALATION, events.REROUTE: Kind.REROUTE}
# Closings the requester is told about (a withdrawal is their own doing).
DECIDED = {Action.CASE_CLOSED, Action.CASE_CANCELLED, Action.CASE_FAILED}


def _label(task) -> str:
    return task_label(task, "A task")


def _same(user, other) -> bool:
    return user is not None and other is not None and user.pk == other.pk


@receiver(events.task_created, dispatch_uid="notify-task-created")
@events.real_cases_only
def _task_created(sender, *, case, task, **details):
    if task_kind(task) == REWORK:
        notification_send(
            users=[case.requester],
            kind=Kind.RETURNED,
            subject=f"Request #{case.pk} was returned to you",
            body=task_info(task).message,
            url=f"/tasks/{task.pk}/",
            case=case,
            task=task,
            dedupe_key=f"returned:{task.pk}",
        )
        return
    if not task.owner_id:
        return  # a queue task: its role members see it in their inbox
    behalf = task_info(task).on_behalf_of
    notification_send(
        users=[task.owner],
        kind=Kind.TASK_ASSIGNED,
        subject=f"{_label(task)} on request #{case.pk} is yours",
        body=f"Acting for {behalf} while they are away." if behalf else case.route.get("summary", ""),
        url=f"/tasks/{task.pk}/",
        case=case,
        task=task,
        dedupe_key=f"task-assigned:{task.pk}",
    )


@receiver(events.task_assigned, dispatch_uid="notify-task-assigned")
@events.real_cases_only
def _task_assigned(sender, *, case, task, actor, previous, reason, cause, **details):
    """The task changed hands: the new holder and the one who lost it hear about it."""
    owner = task.owner if task.owner_id else None
    info = task_info(task)
    moves = len(info.previous_owners)
    if owner is not None and not _same(owner, actor):
        behalf = info.on_behalf_of
        body = reason or case.route.get("summary", "")
        if behalf and cause == events.HANDOVER:
            body = f"Acting for {behalf} while they are away. {body}".strip()
        notification_send(
            users=[owner],
            kind=GAINED_KIND.get(cause, Kind.TASK_ASSIGNED),
            subject=f"{_label(task)} on request #{case.pk} is now yours",
            body=body,
            url=f"/tasks/{task.pk}/",
            case=case,
            task=task,
            dedupe_key=f"task-gained:{task.pk}:{owner.pk}:{moves}",
        )
    if previous is not None and not _same(previous, actor) and not _same(previous, owner):
        where = f"{owner.get_username()} has it now" if owner is not None else "it waits in a queue now"
        notification_send(
            users=[previous],
            kind=Kind.NOTICE,
            subject=f"{_label(task)} on request #{case.pk} was taken off your list",
            body=f"{reason} ({where})".strip() if reason else f"It was moved: {where}.",
            case=case,
            task=task,
            dedupe_key=f"task-lost:{task.pk}:{previous.pk}:{moves}",
        )


@receiver(events.task_cancelled, dispatch_uid="notify-task-cancelled")
@events.real_cases_only
def _task_cancelled(sender, *, case, task, actor, reason, **details):
    """An approver whose task is no longer needed (the stage settled, the case closed) is told."""
    holder = task.owner if task.owner_id else None
    if holder is None or _same(holder, actor) or holder.pk == case.requester_id:
        return  # a queue task just leaves the queue; the requester hears how the case ended
    notification_send(
        users=[holder],
        kind=Kind.NOTICE,
        subject=f"{_label(task)} on request #{case.pk} is no longer needed",
        body=reason,
        url=f"/cases/{case.pk}/",
        case=case,
        task=task,
        dedupe_key=f"task-cancelled:{task.pk}",
    )


@receiver(events.case_closed, dispatch_uid="notify-case-closed")
@events.real_cases_only
def _case_closed(sender, *, case, action, reason, **details):
    if case.migrated and case.route.get("migrated"):
        return  # closed before it was migrated: its requester heard back then
    if action == Action.CASE_AUTO_CLOSED:
        kind, subject = Kind.AUTO_CLOSED, f"Request #{case.pk} was closed"
    elif action in DECIDED:
        kind, subject = Kind.DECISION, f"Request #{case.pk} was {case.outcome}"
    else:
        return
    notification_send(
        users=[case.requester],
        kind=kind,
        subject=subject,
        body=reason or case.closed_reason or case.route.get("summary", ""),
        url=f"/cases/{case.pk}/",
        case=case,
        dedupe_key=f"decision:{case.pk}",
    )


@receiver(events.attention_needed, dispatch_uid="notify-attention-needed")
@events.real_cases_only
def _attention_needed(sender, *, case, task, subject, reason, key, **details):
    notification_send(
        users=role_members(role=roles.OPERATORS),
        kind=Kind.REROUTE,
        subject=subject,
        body=reason,
        url=f"/tasks/{task.pk}/",
        case=case,
        task=task,
        dedupe_key=key,
    )
