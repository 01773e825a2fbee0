"""The access page: who holds which role now and at the end of any past day, replayed from the
audit trail of role changes, with every grant and removal (who, when, why)."""

from datetime import datetime, time, timedelta

import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone

from apps.audit.selectors import role_holders
from apps.org.services import role_grant
from tests.audit.test_role_memberships import admin_change_form

URL = "/audit/access/"


def holders(response, role) -> list[str]:
    return [person.username for person, _ in response.context["roles"].get(role, [])]


def test_now_and_a_past_day_with_changes_made_in_the_admin_and_by_a_service(users, signed_in, client):
    today = timezone.localdate()
    change_day = today + timedelta(days=2)
    noon = timezone.make_aware(datetime.combine(change_day, time(12, 0)))
    with time_machine.travel(noon, tick=False):
        client.force_login(users["admin"])
        frank = users["frank"]
        response = client.post(
            f"/admin/auth/user/{frank.pk}/change/",
            admin_change_form(frank, groups=[], reason="Left Finance"),
        )
        assert response.status_code == 302
        role_grant(user=users["leo"], role="auditors", actor=users["admin"], reason="Audit season")

    with time_machine.travel(noon + timedelta(days=1), tick=False):
        auditor = signed_in("audrey")
        now = auditor.get(URL)
        before = auditor.get(URL, {"at": (change_day - timedelta(days=1)).isoformat()})
        on_the_day = auditor.get(URL, {"at": change_day.isoformat()})

    assert now.status_code == before.status_code == on_the_day.status_code == 200
    assert holders(now, "finance") == ["fiona"]
    assert holders(now, "auditors") == ["audrey", "leo"]
    assert holders(before, "finance") == ["fiona", "frank"], "frank still held it the day before"
    assert holders(before, "auditors") == ["audrey"]
    assert holders(on_the_day, "finance") == ["fiona"] and holders(on_the_day, "auditors") == ["audrey", "leo"]

    page = now.content.decode()
    assert "<td>finance</td><td>frank</td><td>admin</td><td>Left Finance</td>" in page
    assert "<td>auditors</td><td>leo</td><td>admin</td><td>Audit season</td>" in page
    assert f"Access: who holds which role on {before.context['day']:%-d %b %Y}" in before.content.decode()


def test_memberships_older_than_their_audit_trail_count_as_held_all_along(users):
    """Replayed backwards from today's memberships: a membership that has no grant event (made
    before roles were audited, here by writing the row directly) is not lost in the past."""
    from django.contrib.auth import get_user_model

    legal = Group.objects.get(name="legal")
    get_user_model().groups.through.objects.create(user=users["alice"], group=legal)  # no signal, no event

    long_ago = role_holders(before=timezone.now() - timedelta(days=400))["legal"]
    assert [(p.username, since) for p, since in long_ago] == [("alice", None)], "leo's grant came later"


def test_a_day_in_the_future_or_not_a_day_is_a_400_naming_the_field(users, signed_in):
    auditor = signed_in("audrey")
    future = auditor.get(URL, {"at": (timezone.localdate() + timedelta(days=1)).isoformat()})
    assert future.status_code == 400 and "On: Choose a day up to today." in future.content.decode()
    junk = auditor.get(URL, {"at": "yesterday"})
    assert junk.status_code == 400 and "On: Enter a valid date." in junk.content.decode()
