"""Who may take an evidence pack out of the system: auditors and administrators (the people who
read every case). The command line runs as the system and is not asked."""

from apps.core.errors import NotAllowed
from apps.org.selectors import user_sees_all_cases

MSG_NOT_ALLOWED = "Evidence packs are for auditors and administrators."


def user_may_export_evidence(*, user) -> bool:
    return user is not None and user.is_authenticated and user_sees_all_cases(user=user)


def ensure_may_export_evidence(*, user) -> None:
    if not user_may_export_evidence(user=user):
        raise NotAllowed(MSG_NOT_ALLOWED)
