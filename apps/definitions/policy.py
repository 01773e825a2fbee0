"""Who may change workflow definitions. Services enforce these; views use them to show or hide.

Workflow owners (the `workflow-owners` role) may create definitions; each definition is then
edited by the people holding `definitions.edit_definition` on it (guardian, given to its
creator) and by administrators. `actor=None` is the system (seeding, the command line).
"""

from apps.core.errors import NotAllowed
from apps.org import roles
from apps.org.selectors import user_has_role

EDIT_PERMISSION = "definitions.edit_definition"

MSG_NOT_AN_OWNER = "Only workflow owners and administrators can build workflows."
MSG_CANNOT_EDIT = "You cannot edit the workflow '{key}'; ask its owner or an administrator."


def user_is_builder(*, user) -> bool:
    """May use the workflow builder at all (and create new definitions)."""
    if user is None:
        return True
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user_has_role(user=user, role=roles.WORKFLOW_OWNERS)


def user_can_edit_definition(*, user, definition) -> bool:
    if user is None:
        return True
    if not user_is_builder(user=user):
        return False
    return user.is_superuser or user.has_perm(EDIT_PERMISSION, definition)


def ensure_builder(*, user) -> None:
    if not user_is_builder(user=user):
        raise NotAllowed(MSG_NOT_AN_OWNER)


def ensure_can_edit_definition(*, user, definition) -> None:
    ensure_builder(user=user)
    if not user_can_edit_definition(user=user, definition=definition):
        raise NotAllowed(MSG_CANNOT_EDIT.format(key=definition.key))
