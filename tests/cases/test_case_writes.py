"""Who may add comments and documents to a case: the people working on it, not its readers.

An auditor reads every case but writes to none; the requester, the approvers (holding, queued
for, or having held a task), operators on cases with automated steps and administrators may.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.cases.attachments import case_attachment_add
from apps.cases.models import Attachment, Case, Comment
from apps.cases.policy import MSG_CANNOT_WRITE, case_can_write
from apps.cases.services import case_comment_add, task_complete, task_reassign
from apps.core.errors import Conflict, NotAllowed
from tests.conftest import events, task_for


def upload():
    return SimpleUploadedFile("quote.txt", b"a quote", content_type="text/plain")


def test_an_auditor_cannot_comment_or_attach(start_purchase, users):
    case = start_purchase()
    audrey = users["audrey"]
    with pytest.raises(NotAllowed) as refusal:
        case_comment_add(case=case, actor=audrey, body="Looks fine to me.")
    assert refusal.value.message == MSG_CANNOT_WRITE
    with pytest.raises(NotAllowed):
        case_attachment_add(case=case, actor=audrey, upload=upload())
    assert not Comment.objects.exists() and not Attachment.objects.exists()
    assert events(case, "comment.added") == [] and events(case, "attachment.added") == []


def test_the_requester_and_the_approvers_can_write(start_purchase, users):
    case = start_purchase(amount="5000")
    case_comment_add(case=case, actor=users["alice"], body="For project X.")
    case_attachment_add(case=case, actor=users["alice"], upload=upload())
    case_comment_add(case=case, actor=users["bob"], body="Which project?")  # holds the manager approval
    case_comment_add(case=case, actor=users["frank"], body="Budget?")  # finance queue
    assert Comment.objects.filter(case=case).count() == 3 and Attachment.objects.filter(case=case).count() == 1


def test_who_may_write(start_purchase, users):
    case = start_purchase(amount="500")
    may = {name: case_can_write(user=u, case=case) for name, u in users.items()}
    assert may == {
        "alice": True,  # requester
        "bob": True,  # holds the manager approval
        "carol": False,  # bob's manager: may read nothing here yet
        "fiona": False,  # finance is not needed under 1,000
        "frank": False,
        "leo": False,
        "audrey": False,  # reads every case, writes to none
        "olivia": False,
        "oscar": False,  # an operator, but the case has no automated step
        "ivan": False,  # an integrator: webhooks, not cases
        "sam": False,  # security: access requests only
        "sally": False,  # the other templates' people
        "connie": False,
        "opal": False,
        "hanna": False,
        "paul": False,
        "tom": False,  # IT support, the service desk, a policy owner, risk: nothing to do with a purchase
        "dave": False,
        "paula": False,
        "rita": False,
        "admin": True,
    }


def test_someone_who_held_or_decided_a_task_still_can(start_purchase, users):
    case = start_purchase(amount="5000")
    task_complete(task_id=task_for(case, "Finance approval").pk, actor=users["fiona"], decision="approve")
    task_reassign(task_id=task_for(case, "Manager approval").pk, to_user=users["carol"], reason="bob is ill")
    for name in ["fiona", "bob", "carol"]:
        assert case_can_write(user=users[name], case=case), name
    assert not case_can_write(user=users["frank"], case=case), "the finance queue task is decided"


def test_portal_refuses_an_auditor_with_403_and_hides_the_forms(signed_in, start_purchase):
    case = start_purchase()
    audrey = signed_in("audrey")
    page = audrey.get(f"/cases/{case.pk}/").content.decode()
    assert "Add comment" not in page and 'name="attachments"' not in page
    assert audrey.post(f"/cases/{case.pk}/comments/", {"body": "hi"}).status_code == 403
    assert audrey.post(f"/cases/{case.pk}/attachments/", {"attachments": upload()}).status_code == 403
    assert not Comment.objects.exists() and not Attachment.objects.exists()


def test_portal_lets_the_requester_write(signed_in, start_purchase):
    case = start_purchase()
    alice = signed_in("alice")
    page = alice.get(f"/cases/{case.pk}/").content.decode()
    assert "Add comment" in page and 'name="attachments"' in page
    assert alice.post(f"/cases/{case.pk}/comments/", {"body": "For project X."}).status_code == 302
    assert alice.post(f"/cases/{case.pk}/attachments/", {"attachments": upload()}).status_code == 302
    assert Comment.objects.filter(case=case).count() == 1 and Attachment.objects.filter(case=case).count() == 1


def test_documents_sent_with_a_request_that_closes_at_once_are_kept(publish, signed_in):
    """No approver applies to a small amount, so the case is approved as it starts: the documents
    the requester sent with it belong to it (they were dropped, and the requester was sent back to
    an empty form with "This case is already closed.", inviting a second request)."""
    manager_over_100 = {
        "key": "manager",
        "label": "Manager",
        "type": "manager",
        "when": {"all": [{"field": "amount", "op": ">", "value": "100"}]},
    }
    key = publish("small-spend", [{"key": "ok", "name": "OK", "policy": "all", "approvers": [manager_over_100]}])
    alice = signed_in("alice")
    response = alice.post(f"/requests/new/{key}/", {"amount": "10", "attachments": upload()})
    [case] = Case.objects.filter(workflow_key=key)
    assert (response.status_code, response["Location"]) == (302, f"/cases/{case.pk}/")
    assert not case.is_open and [a.name for a in case.attachments.all()] == ["quote.txt"]


def test_a_closed_case_takes_no_more_documents(start_purchase, users):
    case = start_purchase()
    task_complete(task_id=task_for(case, "Manager approval").pk, actor=users["bob"], decision="approve")
    case.refresh_from_db()
    with pytest.raises(Conflict):
        case_attachment_add(case=case, actor=users["alice"], upload=upload())
