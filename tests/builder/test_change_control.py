"""Issue 14, change control: a workflow that needs a second owner's approval is published only
through a change request, a case of the built-in `workflow-change` workflow that another owner
decides (never the author)."""

import pytest
from django.urls import reverse

from apps.audit.models import Action, AuditEvent
from apps.builder.change_control import CHANGE_WORKFLOW, change_request_open
from apps.cases.models import Case
from apps.cases.policy import MSG_OWN_REQUEST
from apps.cases.services import task_complete, task_reassign_by
from apps.core.errors import Conflict, NotAllowed
from apps.definitions import governance
from apps.definitions.models import ChangeStatus, DefinitionVersion, VersionStatus
from apps.definitions.selectors import definition_get, version_live
from apps.definitions.services import MSG_NEEDS_APPROVAL, draft_texts_update, version_publish
from apps.org import roles
from apps.org.services import person_upsert
from tests.conftest import open_tasks

NEW_INTRO = "From 5,000 finance approves too."


@pytest.fixture
def wendy(demo):
    """A second workflow owner, made an owner of purchase-approval by olivia."""
    wendy = person_upsert(username="wendy", password="demo", roles=[roles.WORKFLOW_OWNERS], email="wendy@example.com")
    governance.definition_owner_add(
        definition=definition_get(key="purchase-approval"), actor=demo["olivia"], username="wendy"
    )
    return wendy


@pytest.fixture
def guarded(demo, wendy, draft):
    """purchase-approval needs a second owner's approval; olivia's draft has new texts."""
    definition = governance.definition_governance_update(
        definition=definition_get(key="purchase-approval"),
        actor=demo["olivia"],
        needs_second_approval=True,
        next_review=None,
    )
    draft_texts_update(version=draft, description="Purchases, reviewed.", form_intro=NEW_INTRO, actor=demo["olivia"])
    return definition


def _request(demo, definition, note="Finance from 5,000"):
    change = change_request_open(definition=definition, actor=demo["olivia"], note=note)
    case = Case.objects.get(pk=change.case_id)
    return change, case


def test_a_guarded_workflow_cannot_be_published_directly(demo, guarded, draft):
    with pytest.raises(Conflict) as refused:
        version_publish(version=draft, actor=demo["olivia"])
    assert refused.value.message == MSG_NEEDS_APPROVAL.format(key="purchase-approval")
    assert version_live(key="purchase-approval").number == 1


def test_approval_by_another_owner_publishes_exactly_the_reviewed_draft(demo, guarded, draft, wendy):
    change, case = _request(demo, guarded)
    assert case.workflow_key == CHANGE_WORKFLOW and case.requester == demo["olivia"]
    assert case.data["workflow"] == "purchase-approval" and case.data["change_request"] == change.pk
    assert "Texts / Text above the start form changed" in case.data["diff"]
    assert "cases would route differently" in case.data["impact"]
    tasks = open_tasks(case)
    assert [t.owner.username for t in tasks] == ["wendy"]  # the author gets no task

    task_complete(task_id=tasks[0].pk, actor=wendy, decision="approve")

    live = version_live(key="purchase-approval")
    assert live.number == 2 and live.pk == draft.pk
    assert live.content_hash == change.spec_hash  # identical to what was reviewed
    assert live.published_by == wendy and live.spec["form_intro"] == NEW_INTRO
    change.refresh_from_db()
    assert (change.status, change.decided_by, change.published_number) == (ChangeStatus.APPROVED, wendy, 2)
    approved = AuditEvent.objects.get(action=Action.CHANGE_APPROVED)
    assert approved.actor == wendy and approved.context["version"] == 2
    assert AuditEvent.objects.filter(action=Action.CHANGE_REQUESTED, actor=demo["olivia"]).count() == 1
    published = AuditEvent.objects.filter(action=Action.VERSION_PUBLISHED, context__version=2).get()
    assert published.context["change_request"] == change.pk


def test_the_author_cannot_approve_their_own_change(demo, guarded, wendy):
    change, case = _request(demo, guarded)
    task = open_tasks(case)[0]
    with pytest.raises(NotAllowed) as refused:
        task_complete(task_id=task.pk, actor=demo["olivia"], decision="approve")
    assert refused.value.message == MSG_OWN_REQUEST
    with pytest.raises(NotAllowed) as moved:  # nor can anyone hand it to them
        task_reassign_by(task_id=task.pk, actor=demo["admin"], to="olivia", reason="Olivia knows it best")
    assert "requested this case" in moved.value.message
    with pytest.raises(NotAllowed) as direct:
        governance.change_request_approve(change=change, actor=demo["olivia"])
    assert direct.value.message == governance.MSG_OWN_CHANGE
    assert version_live(key="purchase-approval").number == 1


def test_rejecting_keeps_the_draft_and_shows_the_reason_in_the_builder(demo, guarded, draft, wendy, client):
    change, case = _request(demo, guarded)
    before = DefinitionVersion.objects.get(pk=draft.pk).spec
    task = open_tasks(case)[0]
    task_complete(task_id=task.pk, actor=wendy, decision="reject", reason="Finance was not asked")

    change.refresh_from_db()
    assert change.status == ChangeStatus.REJECTED and change.reason == "Finance was not asked"
    kept = DefinitionVersion.objects.get(pk=draft.pk)
    assert kept.status == VersionStatus.DRAFT and kept.spec == before
    assert version_live(key="purchase-approval").number == 1
    assert AuditEvent.objects.filter(action=Action.CHANGE_REJECTED, actor=wendy).count() == 1

    client.force_login(demo["olivia"])
    page = client.get(reverse("builder:draft", args=["purchase-approval"])).content.decode()
    assert "Finance was not asked" in page and "Rejected" in page
    assert "Request approval to publish" in page  # and she may ask again


def test_a_draft_changed_after_the_request_is_refused_and_nothing_is_published(demo, guarded, draft, wendy):
    change, case = _request(demo, guarded)
    draft_texts_update(version=draft, description="Sneaked in", form_intro="Something else", actor=demo["olivia"])
    task_complete(task_id=open_tasks(case)[0].pk, actor=wendy, decision="approve")

    change.refresh_from_db()
    assert change.status == ChangeStatus.REFUSED
    assert change.reason == governance.MSG_DRAFT_CHANGED.format(id=change.pk)
    assert DefinitionVersion.objects.get(pk=draft.pk).status == VersionStatus.DRAFT
    assert version_live(key="purchase-approval").number == 1
    refused = AuditEvent.objects.get(action=Action.CHANGE_REFUSED)
    assert refused.reason == change.reason


def test_without_another_owner_the_request_is_refused(demo, draft):
    definition = governance.definition_governance_update(
        definition=definition_get(key="purchase-approval"),
        actor=demo["olivia"],
        needs_second_approval=True,
        next_review=None,
    )
    with pytest.raises(Conflict) as refused:
        change_request_open(definition=definition, actor=demo["olivia"])
    assert refused.value.message == governance.MSG_NO_SECOND_OWNER.format(key="purchase-approval")
    assert not Case.objects.filter(workflow_key=CHANGE_WORKFLOW).exists()


def test_one_request_waits_at_a_time(demo, guarded):
    change, _case = _request(demo, guarded)
    with pytest.raises(Conflict) as refused:
        change_request_open(definition=guarded, actor=demo["olivia"])
    assert refused.value.message == governance.MSG_CHANGE_OPEN.format(id=change.pk, key="purchase-approval")


def test_publish_in_the_builder_opens_the_change_request(demo, guarded, signed_in):
    client = signed_in("olivia")
    response = client.post(reverse("builder:publish", args=["purchase-approval"]), {"note": "Finance from 5,000"})
    assert response.status_code == 302
    change = guarded.change_requests.get()
    assert change.note == "Finance from 5,000" and change.is_open
    page = client.get(response.url).content.decode()
    assert f"Change request #{change.pk} is waiting for another owner" in page
    assert version_live(key="purchase-approval").number == 1


def test_only_an_owner_changes_the_change_control_settings(demo, signed_in):
    client = signed_in("alice")
    response = client.post(reverse("builder:governance", args=["purchase-approval"]), {"needs_second_approval": "on"})
    assert response.status_code == 403
    assert definition_get(key="purchase-approval").needs_second_approval is False


def test_the_built_in_workflow_has_its_pages_like_any_other(demo, guarded, signed_in):
    _request(demo, guarded)
    client = signed_in("admin")
    for name, args in [
        ("builder:definition", [CHANGE_WORKFLOW]),
        ("builder:version", [CHANGE_WORKFLOW, 1]),
        ("builder:sop", [CHANGE_WORKFLOW, 1]),
        ("builder:bpmn", [CHANGE_WORKFLOW, 1]),
        ("builder:backlog", [CHANGE_WORKFLOW]),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
    assert "Another owner" in client.get(reverse("builder:version", args=[CHANGE_WORKFLOW, 1])).content.decode()


def test_withdrawing_the_request_lets_the_author_ask_again(demo, guarded):
    from apps.cases.services import case_withdraw

    change, case = _request(demo, guarded)
    case_withdraw(case_id=case.pk, actor=demo["olivia"], reason="One more change first")
    change.refresh_from_db()
    assert change.status == ChangeStatus.WITHDRAWN and change.reason == "One more change first"
    withdrawn = AuditEvent.objects.get(action=Action.CHANGE_WITHDRAWN)
    assert (withdrawn.reason, withdrawn.context["change_request"]) == ("One more change first", change.pk)
    again, _case = _request(demo, guarded)
    assert again.is_open and again.pk != change.pk


def test_a_request_that_loses_the_race_to_create_the_built_in_workflow_takes_the_winners(demo, guarded, monkeypatch):
    from apps.builder import change_control
    from apps.core.errors import NotFound
    from apps.definitions.models import WorkflowDefinition

    winners = change_control.change_workflow_ensure()  # the other request's, committed a moment ago
    looked = []

    def not_seen_yet(*, key):  # as it looked before the other request committed
        looked.append(key)
        if len(looked) == 1:
            raise NotFound("not yet")
        return version_live(key=key)

    monkeypatch.setattr(change_control.selectors, "version_live", not_seen_yet)
    change, case = _request(demo, guarded)
    assert looked[0] == CHANGE_WORKFLOW
    assert change.is_open and case.version_id == winners.pk
    assert WorkflowDefinition.objects.filter(key=CHANGE_WORKFLOW).count() == 1


def test_owners_named_must_be_active_workflow_owners_and_the_refusal_names_the_field(demo, wendy):
    from apps.core.errors import ValidationFailed

    definition = definition_get(key="purchase-approval")
    cases = [
        ("nobody", governance.MSG_OWNER_UNKNOWN.format(username="nobody")),
        ("alice", governance.MSG_OWNER_NOT_BUILDER.format(username="alice")),
        ("wendy", governance.MSG_OWNER_ALREADY.format(username="wendy", key="purchase-approval")),
    ]
    for username, message in cases:
        with pytest.raises(ValidationFailed) as refused:
            governance.definition_owner_add(definition=definition, actor=demo["olivia"], username=username)
        assert refused.value.field_errors == {"username": [message]}
    for username, message in cases[:2]:
        with pytest.raises(ValidationFailed) as refused:
            governance.definition_governance_update(
                definition=definition,
                actor=demo["olivia"],
                needs_second_approval=False,
                next_review=None,
                owner=username,
            )
        assert refused.value.field_errors == {"owner": [message]}
    assert definition_get(key="purchase-approval").owner == demo["olivia"]


def test_an_owner_removes_another_owner_who_then_no_longer_edits_it(demo, wendy, signed_in):
    from apps.builder.governance_views import MSG_OWNER_REMOVED
    from apps.definitions.policy import user_can_edit_definition
    from apps.definitions.selectors import definition_owners

    client = signed_in("olivia")
    page = client.get(reverse("builder:definition", args=["purchase-approval"])).content.decode()
    assert "Remove wendy" in page and "Remove olivia" not in page  # the named owner stays
    response = client.post(
        reverse("builder:owner-remove", args=["purchase-approval"]), {"username": "wendy"}, follow=True
    )
    assert MSG_OWNER_REMOVED.format(username="wendy", name="Purchase approval") in response.content.decode()
    assert [o.username for o in definition_owners(key="purchase-approval")] == ["olivia"]
    wendy = type(wendy).objects.get(pk=wendy.pk)  # (guardian caches what a user object was allowed)
    assert not user_can_edit_definition(user=wendy, definition=definition_get(key="purchase-approval"))
    removed = AuditEvent.objects.filter(action=Action.GOVERNANCE_CHANGED).latest("seq")
    assert removed.actor == demo["olivia"] and removed.context["changed"] == {"owners": {"removed": "wendy"}}


def test_the_named_owner_and_non_owners_are_not_removed_and_the_refusal_names_the_field(demo, wendy, signed_in):
    from apps.core.errors import ValidationFailed
    from apps.definitions.selectors import definition_owners

    definition = definition_get(key="purchase-approval")
    for username, message in [
        ("olivia", governance.MSG_OWNER_NAMED.format(username="olivia", key="purchase-approval")),
        ("alice", governance.MSG_OWNER_NOT_ONE.format(username="alice", key="purchase-approval")),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            governance.definition_owner_remove(definition=definition, actor=wendy, username=username)
        assert refused.value.field_errors == {"username": [message]}
    response = signed_in("alice").post(
        reverse("builder:owner-remove", args=["purchase-approval"]), {"username": "wendy"}
    )
    assert response.status_code == 403
    assert [o.username for o in definition_owners(key="purchase-approval")] == ["olivia", "wendy"]


def test_an_owner_through_a_group_is_not_removed_alone(demo, wendy):
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm

    from apps.core.errors import ValidationFailed
    from apps.definitions.policy import EDIT_PERMISSION
    from apps.definitions.selectors import definition_owners

    definition = definition_get(key="purchase-approval")
    group = Group.objects.create(name="purchasing")
    wendy.groups.add(group)
    assign_perm(EDIT_PERMISSION, group, definition)
    with pytest.raises(ValidationFailed) as refused:
        governance.definition_owner_remove(definition=definition, actor=demo["olivia"], username="wendy")
    assert refused.value.message == governance.MSG_OWNER_BY_GROUP.format(username="wendy", key="purchase-approval")
    group.delete()  # her own permission was kept (the removal rolled back with the refusal)
    assert [o.username for o in definition_owners(key="purchase-approval")] == ["olivia", "wendy"]
