"""Who may see and change a workflow's schedules: the owners of that workflow (whoever may edit
it) and administrators; the same predicate the builder uses for the workflow itself."""

from apps.core.errors import NotAllowed
from apps.definitions.policy import user_can_edit_definition

MSG_NOT_OWNER = "Only the owners of '{key}' and administrators can schedule it."


def schedule_can_manage(*, user, definition) -> bool:
    return user is not None and user_can_edit_definition(user=user, definition=definition)


def ensure_can_manage(*, user, definition) -> None:
    if not schedule_can_manage(user=user, definition=definition):
        raise NotAllowed(MSG_NOT_OWNER.format(key=definition.key))
