"""Every change of who holds a role (a Django group) becomes an audit event, whoever makes it.

One `m2m_changed` receiver on the user-group table sees the Django admin's user form, services
(apps.org.services.role_grant / role_revoke, person_upsert), seed code and a shell alike, from
either side (`user.groups` or `group.user_set`), including `clear()`. The actor and the reason
come from an `acting_as` block (apps.core.actors) when the caller opened one; else from the
request being served (simple-history's middleware keeps it for this thread); else SYSTEM.

The events are written inside the membership change's own transaction (Django sends the signal
inside it), so a role held and its audit trail cannot disagree; apps.audit.selectors replays them
to tell who held which role on a past day.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.signals import m2m_changed
from simple_history.models import HistoricalRecords

from apps.core.actors import current_change

from .models import Action
from .services import audit_record

User = get_user_model()


def _actor_and_reason() -> tuple:
    change = current_change()
    if change is not None:
        return change
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user, ""
    return None, ""


def _pairs(instance, reverse: bool, pks) -> list[tuple]:
    """(user, group) of each membership the change touches, whichever side it was made from."""
    if reverse:  # group.user_set: the instance is the group, pks are users
        users = User.objects.filter(pk__in=pks).order_by("username")
        return [(user, instance) for user in users]
    return [(instance, group) for group in Group.objects.filter(pk__in=pks).order_by("name")]


def _current(instance, reverse: bool) -> set:
    if reverse:
        return set(instance.user_set.values_list("pk", flat=True))
    return set(instance.groups.values_list("pk", flat=True))


def _record(action: str, pairs: list[tuple]) -> None:
    if not pairs:
        return
    actor, reason = _actor_and_reason()
    with transaction.atomic():
        for user, group in pairs:
            audit_record(
                action=action,
                actor=actor,
                reason=reason,
                context={"role": group.name, "user": user.get_username(), "user_id": user.pk},
            )


def record_membership_change(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "pre_remove":
        # remove() signals every pk asked for, held or not: only those held are removals.
        instance._wms_removing = _current(instance, reverse) & set(pk_set or ())
    elif action == "pre_clear":
        instance._wms_removing = _current(instance, reverse)
    elif action in ("post_remove", "post_clear"):
        removed = getattr(instance, "_wms_removing", set())
        instance._wms_removing = set()
        _record(Action.ROLE_REVOKED, _pairs(instance, reverse, removed))
    elif action == "post_add":
        # add() signals only the pks that were not held yet.
        _record(Action.ROLE_GRANTED, _pairs(instance, reverse, pk_set or ()))


def connect() -> None:
    m2m_changed.connect(record_membership_change, sender=User.groups.through, dispatch_uid="audit.role_memberships")
