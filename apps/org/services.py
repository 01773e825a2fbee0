"""Writes to the organisation: people, their departments, managers and roles."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from .models import Department, Profile

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
):
    """Create or update a person with their profile and roles; the same call twice changes nothing."""
    user, _ = User.objects.get_or_create(username=username)
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.is_superuser = user.is_staff = is_superuser
    if password is not None:
        user.set_password(password)
    user.save()
    dept = Department.objects.get_or_create(name=department)[0] if department else None
    profile, _ = Profile.objects.get_or_create(user=user)
    profile.department, profile.manager, profile.title = dept, manager, title
    profile.save()
    if roles is not None:
        user.groups.set([Group.objects.get_or_create(name=name)[0] for name in roles])
    return user
