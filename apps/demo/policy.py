"""Who may drive the demo ERP: the people who work the exception queue it feeds."""

from apps.automation.policy import user_can_repair_steps


def user_can_drive_erp(*, user) -> bool:
    """Operators, integrators and administrators."""
    return user_can_repair_steps(user=user)
