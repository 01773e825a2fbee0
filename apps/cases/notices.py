"""Telling people about their cases and tasks (delivered after commit by apps.notify)."""

from apps.notify.services import notification_send


def task_assigned(*, case, task) -> None:
    if not task.owner_id:
        return  # a queue task: its role members see it in their inbox
    behalf = task.data.get("on_behalf_of")
    notification_send(
        users=[task.owner],
        kind="task_assigned",
        subject=f"{task.data.get('label', 'A task')} on request #{case.pk} is yours",
        body=f"Acting for {behalf} while they are away." if behalf else case.route.get("summary", ""),
        url=f"/tasks/{task.pk}/",
        case=case,
        task=task,
        dedupe_key=f"task-assigned:{task.pk}",
    )


def case_returned(*, case, task) -> None:
    notification_send(
        users=[case.requester],
        kind="returned",
        subject=f"Request #{case.pk} was returned to you",
        body=task.data.get("message", ""),
        url=f"/tasks/{task.pk}/",
        case=case,
        task=task,
        dedupe_key=f"returned:{task.pk}",
    )


def case_decided(*, case) -> None:
    notification_send(
        users=[case.requester],
        kind="decision",
        subject=f"Request #{case.pk} was {case.outcome}",
        body=case.closed_reason or case.route.get("summary", ""),
        url=f"/cases/{case.pk}/",
        case=case,
        dedupe_key=f"decision:{case.pk}",
    )
