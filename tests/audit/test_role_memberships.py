"""Every change of who holds a role is an audit event, however it is made: the Django admin's user
form, the org services, seed code, either side of the relation, clear() (apps.audit.memberships)."""

import pytest
from django.contrib.auth.models import Group

from apps.audit.models import Action, AuditEvent
from apps.core.errors import NotAllowed, ValidationFailed
from apps.org.services import role_grant, role_revoke


def role_events(**context):
    events = AuditEvent.objects.filter(action__in=[Action.ROLE_GRANTED, Action.ROLE_REVOKED]).order_by("id")
    return [
        (e.action, e.context["role"], e.context["user"], e.actor_name, e.reason)
        for e in events
        if all(e.context.get(k) == v for k, v in context.items())
    ]


def admin_change_form(user, *, groups, reason="") -> dict:
    """The admin's user change form as a browser posts it, with `groups` ticked."""
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "groups": [str(g.pk) for g in groups],
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "role_change_reason": reason,
        "_save": "Save",
    }


def test_seeding_the_demo_records_each_grant_by_the_system(users):
    assert role_events(user="audrey") == [("role.granted", "auditors", "audrey", "SYSTEM", "")]


def test_the_admin_form_records_grants_and_removals_by_the_signed_in_admin_with_the_reason(users, client):
    frank, finance, legal = users["frank"], Group.objects.get(name="finance"), Group.objects.get(name="legal")
    client.force_login(users["admin"])

    response = client.post(
        f"/admin/auth/user/{frank.pk}/change/",
        admin_change_form(frank, groups=[legal], reason="Moves to Legal (ticket HR-12)"),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(frank.groups.values_list("name", flat=True)) == {"legal"}
    assert role_events(user="frank")[-2:] == [
        ("role.revoked", "finance", "frank", "admin", "Moves to Legal (ticket HR-12)"),
        ("role.granted", "legal", "frank", "admin", "Moves to Legal (ticket HR-12)"),
    ]
    assert finance.pk  # still a role; only frank left it


def test_the_services_record_the_actor_and_reason_and_refuse_non_admins(users):
    leo, admin = users["leo"], users["admin"]
    role_grant(user=leo, role="auditors", actor=admin, reason="Quarterly review")
    role_revoke(user=leo, role="auditors", actor=admin, reason="Review done")
    role_revoke(user=leo, role="auditors", actor=admin, reason="again")  # not held: nothing happened

    assert role_events(user="leo", role="auditors") == [
        ("role.granted", "auditors", "leo", "admin", "Quarterly review"),
        ("role.revoked", "auditors", "leo", "admin", "Review done"),
    ]
    with pytest.raises(NotAllowed):
        role_grant(user=leo, role="auditors", actor=users["audrey"])
    with pytest.raises(ValidationFailed) as refused:
        role_grant(user=leo, role="no-such-role", actor=admin)
    assert refused.value.field_errors == {"role": ["There is no role 'no-such-role'."]}


def test_changes_from_the_groups_side_and_clear_are_recorded_too(users):
    legal = Group.objects.get(name="legal")
    legal.user_set.add(users["alice"], users["bob"])
    legal.user_set.remove(users["bob"])
    users["alice"].groups.clear()

    assert [e for e in role_events(role="legal") if e[2] in ("alice", "bob")] == [
        ("role.granted", "legal", "alice", "SYSTEM", ""),
        ("role.granted", "legal", "bob", "SYSTEM", ""),
        ("role.revoked", "legal", "bob", "SYSTEM", ""),
        ("role.revoked", "legal", "alice", "SYSTEM", ""),
    ]
    users["alice"].groups.add(legal)
    users["alice"].groups.add(legal)  # already held: nothing new
    assert len([e for e in role_events(user="alice")]) == 3
