"""Reads about people: managers, roles."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from . import roles

User = get_user_model()


def user_manager(*, user) -> "User | None":
    """The user's direct manager, or None at the top of the chain (one query)."""
    from .models import Profile

    profile = Profile.objects.select_related("manager").filter(user_id=user.pk).first()
    if profile is None or profile.manager_id is None:
        return None
    return profile.manager


def user_manager_chain(*, user, limit: int = 20) -> list:
    """Managers from the direct one up, at most `limit` of them; stops on a cycle."""
    chain, seen, current = [], {user.pk}, user
    while len(chain) < limit:
        manager = user_manager(user=current)
        if manager is None or manager.pk in seen:
            break
        chain.append(manager)
        seen.add(manager.pk)
        current = manager
    return chain


def user_role_names(*, user) -> list[str]:
    """Names of the user's roles (groups); cached on the user object for one request."""
    cached = getattr(user, "_wms_role_names", None)
    if cached is None:
        cached = sorted(user.groups.values_list("name", flat=True)) if user.is_authenticated else []
        user._wms_role_names = cached
    return cached


def user_has_role(*, user, role: str) -> bool:
    return role in user_role_names(user=user)


def user_sees_all_cases(*, user) -> bool:
    """Auditors and admins read every case."""
    return user.is_superuser or user_has_role(user=user, role=roles.AUDITORS)


def role_exists(*, name: str) -> bool:
    return Group.objects.filter(name=name).exists()


def user_absence(*, user, at):
    """The absence covering `at` for the user, if any (the latest one wins)."""
    from .models import Absence

    return (
        Absence.objects.select_related("delegate")
        .filter(user_id=user.pk, starts__lte=at, ends__gt=at)
        .order_by("-starts")
        .first()
    )


def user_delegate(*, user, at):
    """Who acts for the user at `at`: their delegate while they are away, else None."""
    absence = user_absence(user=user, at=at)
    if absence is None or not absence.delegate.is_active:
        return None
    return absence.delegate


def role_members(*, role: str, exclude_ids=()) -> list:
    """Active members of a role, ordered by username for stable choices."""
    return list(
        User.objects.filter(groups__name=role, is_active=True).exclude(pk__in=list(exclude_ids)).order_by("username")
    )
