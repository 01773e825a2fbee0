"""Reads about people: managers, roles."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, Subquery

from . import roles

User = get_user_model()


def user_manager(*, user, away_at=None) -> "User | None":
    """The user's direct manager, or None at the top of the chain (one query).

    With `away_at`, the same query also finds who acts for the manager at that moment (see
    `user_delegate`), so routing to a manager costs one statement, not two.
    """
    from .models import Absence, Profile

    profiles = Profile.objects.select_related("manager").filter(user_id=user.pk)
    if away_at is not None:
        covering = Absence.objects.filter(
            user_id=OuterRef("manager_id"), starts__lte=away_at, ends__gt=away_at
        ).order_by("-starts")
        profiles = profiles.annotate(
            delegate_id=Subquery(covering.values("delegate_id")[:1]),
            delegate_active=Subquery(covering.values("delegate__is_active")[:1]),
        )
    profile = profiles.first()
    if profile is None or profile.manager_id is None:
        return None
    manager = profile.manager
    if away_at is not None:
        manager._wms_delegate = (away_at, profile.delegate_id if profile.delegate_active else None)
    return manager


def user_manager_chain(*, user, limit: int = 20, away_at=None) -> list:
    """Managers from the direct one up, at most `limit` of them; stops on a cycle. With
    `away_at`, each manager also knows who acts for them then (`user_delegate` asks nothing)."""
    chain, seen, current = [], {user.pk}, user
    while len(chain) < limit:
        manager = user_manager(user=current, away_at=away_at)
        if manager is None or manager.pk in seen:
            break
        chain.append(manager)
        seen.add(manager.pk)
        current = manager
    return chain


def _roles_read(user) -> None:
    """The user's role names and whether anyone reports to them, in one query, kept on the user
    object for the request (the header's badges need both, every page needs the roles)."""
    from .models import Profile

    if not user.is_authenticated:
        user._wms_role_names, user._wms_manages = [], False
        return
    manages = Exists(Profile.objects.filter(manager_id=OuterRef("pk")))
    rows = list(User.objects.filter(pk=user.pk).annotate(manages=manages).values_list("groups__name", "manages"))
    user._wms_role_names = sorted({name for name, _ in rows if name})
    user._wms_manages = any(flag for _, flag in rows)


def user_role_names(*, user) -> list[str]:
    """Names of the user's roles (groups); cached on the user object for one request."""
    if getattr(user, "_wms_role_names", None) is None:
        _roles_read(user)
    return user._wms_role_names


MANAGER_BADGE, ADMIN_BADGE, REQUESTER_BADGE = "manager", "admin", "requester"


def user_badges(*, user) -> list[str]:
    """What the header says the person is: "admin" for a superuser, "manager" when someone reports
    to them, their roles; "requester" only for who is none of these. No query beyond the roles'."""
    names = user_role_names(user=user)
    badges = [ADMIN_BADGE] if user.is_superuser else []
    if getattr(user, "_wms_manages", False):
        badges.append(MANAGER_BADGE)
    return [*badges, *names] or [REQUESTER_BADGE]


def user_has_role(*, user, role: str) -> bool:
    return role in user_role_names(user=user)


def user_sees_all_cases(*, user) -> bool:
    """Auditors and admins read every case."""
    return user.is_superuser or user_has_role(user=user, role=roles.AUDITORS)


def user_reads_audit_trail(*, user) -> bool:
    """Auditors, operators and admins search the audit trail across cases and read who holds
    which role (the auditors' pages); nobody else does."""
    return user.is_superuser or bool({roles.AUDITORS, roles.OPERATORS} & set(user_role_names(user=user)))


def role_exists(*, name: str) -> bool:
    return Group.objects.filter(name=name).exists()


def role_names_all() -> list[str]:
    """Every role's key (group name), alphabetically (one query)."""
    return list(Group.objects.order_by("name").values_list("name", flat=True))


def departments_all() -> list[tuple[int, str]]:
    """[(id, name)] of every department, by name (one query)."""
    from .models import Department

    return list(Department.objects.order_by("name").values_list("pk", "name"))


def department_find(*, ref: str) -> int | None:
    """The id of the department numbered or named `ref` (its id, or its exact name), or None."""
    from .models import Department

    ref = str(ref).strip()
    match = Department.objects.filter(name=ref)
    if ref.isdigit() and len(ref) < 10:
        match = Department.objects.filter(pk=int(ref)) | match
    return match.values_list("pk", flat=True).first()


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
    known = getattr(user, "_wms_delegate", None)
    if known is not None and known[0] == at:  # read with the manager chain (user_manager)
        return User.objects.filter(pk=known[1]).first() if known[1] else None
    absence = user_absence(user=user, at=at)
    if absence is None or not absence.delegate.is_active:
        return None
    return absence.delegate


def role_members(*, role: str, exclude_ids=()) -> list:
    """Active members of a role, ordered by username for stable choices."""
    return list(
        User.objects.filter(groups__name=role, is_active=True).exclude(pk__in=list(exclude_ids)).order_by("username")
    )


def user_time_zone_name(*, user) -> str:
    """The zone the person chose ("" for the installation's default)."""
    from .models import Profile

    if user is None or not user.is_authenticated:
        return ""
    return Profile.objects.filter(user_id=user.pk).values_list("time_zone", flat=True).first() or ""


def user_time_zones(*, users) -> dict:
    """{user pk: zone} for the people a message goes to: their own, else the default (one query)."""
    from apps.core.moments import zone_or_default

    from .models import Profile

    ids = [user.pk for user in users if user is not None]
    chosen = dict(Profile.objects.filter(user_id__in=ids).values_list("user_id", "time_zone"))
    return {pk: zone_or_default(chosen.get(pk)) for pk in ids}


def user_report_ids(*, user) -> list[int]:
    """Ids of the people whose direct manager the user is (one query)."""
    from .models import Profile

    return list(Profile.objects.filter(manager_id=user.pk).values_list("user_id", flat=True))


def username_active(*, username: str) -> bool:
    """Is there an active person with this username (one query)?"""
    return bool(username) and User.objects.filter(username=username, is_active=True).exists()


def user_attributes(*, user) -> dict:
    """What a routing condition may ask about a person (apps.definitions.conditions.
    REQUESTER_ATTRIBUTES): their department's name, location, and the cost center they own (one query)."""
    from .models import Profile

    row = Profile.objects.filter(user_id=user.pk).values("department__name", "location", "cost_center").first() or {}
    cost_center = row.get("cost_center") or ""
    return {
        "department": row.get("department__name") or "",
        "location": row.get("location") or "",
        "cost_center": cost_center,
        "cost_center_owner": bool(cost_center),
    }


def department_role_members(*, user, role: str) -> list:
    """Active members of `role` in `user`'s department, by username (one query; none without a department)."""
    from .models import Profile

    department_id = Profile.objects.filter(user_id=user.pk).values("department_id")
    return list(
        User.objects.filter(
            groups__name=role,
            is_active=True,
            profile__department_id__in=department_id,
            profile__department__isnull=False,
        )
        .distinct()
        .order_by("username")
    )
