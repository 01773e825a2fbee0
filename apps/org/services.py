"""Writes to the organisation: people, their departments, managers and roles."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from apps.core.actors import acting_as
from apps.core.errors import NotAllowed, ValidationFailed

from .models import Department, Profile, validate_time_zone

User = get_user_model()


@transaction.atomic
def person_upsert(
    *,
    username: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    department: str | None = None,
    manager=None,
    title: str = "",
    roles: list[str] | None = None,
    is_superuser: bool = False,
    time_zone: str | None = None,
    location: str | None = None,
    cost_center: str | None = None,
):
    """Create or update a person with their profile and roles; the same call twice changes nothing.
    `time_zone`, `location` and `cost_center` None leave what the profile has alone."""
    user, _ = User.objects.get_or_create(username=username)
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.is_superuser = user.is_staff = is_superuser
    if password is not None:
        user.set_password(password)
    user.save()
    dept = Department.objects.get_or_create(name=department)[0] if department else None
    profile, _ = Profile.objects.get_or_create(user=user)
    profile.department, profile.manager, profile.title = dept, manager, title
    if time_zone is not None:
        validate_time_zone(time_zone)
        profile.time_zone = time_zone
    if location is not None:
        profile.location = location
    if cost_center is not None:
        profile.cost_center = cost_center
    profile.save()
    if roles is not None:
        user.groups.set([Group.objects.get_or_create(name=name)[0] for name in roles])
    return user


MSG_TIME_ZONE_NOT_YOURS = "You can change only your own time zone."
MSG_ABSENCE_ORDER = "The absence must end after it starts."
MSG_DELEGATE_SELF = "Choose someone else as delegate."
MSG_DELEGATE_INACTIVE = "The delegate's account is not active."


@transaction.atomic
def absence_set(*, user, starts, ends, delegate, actor, note: str = ""):
    """Record that `user` is away from `starts` to `ends`; new tasks go to `delegate` meanwhile."""
    from apps.core.errors import ValidationFailed

    from .models import Absence

    if ends <= starts:
        raise ValidationFailed(MSG_ABSENCE_ORDER, field_errors={"ends": [MSG_ABSENCE_ORDER]})
    if delegate.pk == user.pk:
        raise ValidationFailed(MSG_DELEGATE_SELF, field_errors={"delegate": [MSG_DELEGATE_SELF]})
    if not delegate.is_active:
        raise ValidationFailed(MSG_DELEGATE_INACTIVE, field_errors={"delegate": [MSG_DELEGATE_INACTIVE]})
    absence = Absence(user=user, starts=starts, ends=ends, delegate=delegate, note=note, created_by=actor)
    absence._history_user = actor
    absence.save()
    return absence


@transaction.atomic
def profile_time_zone_set(*, user, time_zone: str, actor):
    """The zone times are shown to `user` in ("" for the installation's default); recorded in the
    profile's history with who changed it."""
    from apps.core.errors import NotAllowed, ValidationFailed
    from apps.core.moments import MSG_TIME_ZONE, is_time_zone

    if actor.pk != user.pk and not actor.is_superuser:
        raise NotAllowed(MSG_TIME_ZONE_NOT_YOURS)
    time_zone = (time_zone or "").strip()
    if time_zone and not is_time_zone(time_zone):
        message = MSG_TIME_ZONE.format(value=time_zone)
        raise ValidationFailed(message, field_errors={"time_zone": [message]})
    profile, _ = Profile.objects.get_or_create(user=user)
    if profile.time_zone != time_zone:
        profile.time_zone = time_zone
        profile._history_user = actor
        profile.save(update_fields=["time_zone"])
    return profile


MSG_ROLE_UNKNOWN = "There is no role '{role}'."
MSG_ROLES_ADMINS_ONLY = "Only administrators change who holds a role."


def _role(role: str) -> Group:
    group = Group.objects.filter(name=(role or "").strip()).first()
    if group is None:
        message = MSG_ROLE_UNKNOWN.format(role=role)
        raise ValidationFailed(message, field_errors={"role": [message]})
    return group


def _check_may_change_roles(actor) -> None:
    if actor is not None and not actor.is_superuser:
        raise NotAllowed(MSG_ROLES_ADMINS_ONLY)


@transaction.atomic
def role_grant(*, user, role: str, actor, reason: str = ""):
    """Give `user` a role (actor None: the system). Audited as `role.granted` with the actor and
    the reason by apps.audit.memberships, like every membership change."""
    _check_may_change_roles(actor)
    group = _role(role)
    with acting_as(actor, reason=reason):
        user.groups.add(group)
    return user


@transaction.atomic
def role_revoke(*, user, role: str, actor, reason: str = ""):
    """Take a role from `user`; audited as `role.revoked` (their open tasks of that role go back
    to its queue: apps.cases.signals)."""
    _check_may_change_roles(actor)
    group = _role(role)
    with acting_as(actor, reason=reason):
        user.groups.remove(group)
    return user
