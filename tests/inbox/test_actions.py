"""Every portal action: the effect, the message, and the refusals (never a 500)."""

import hashlib

from django.core.files.uploadedfile import SimpleUploadedFile

from apps.cases.models import Attachment, Case
from tests.conftest import events, open_tasks, reload, task_for

PURCHASE = {"amount": "5000", "vendor": "ACME Ltd", "vendor_risk": "low", "cost_center": "CC-1"}


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_starting_a_request_redirects_to_the_case_with_a_message(signed_in):
    response = signed_in("alice").post("/requests/new/purchase-approval/", PURCHASE, follow=True)
    case = Case.objects.get()
    assert response.redirect_chain[-1][0] == f"/cases/{case.pk}/"
    assert f"Request #{case.pk} submitted" in messages_of(response)[0]
    assert sorted(t.data["label"] for t in open_tasks(case)) == ["Finance approval", "Manager approval"]


def test_invalid_request_shows_errors_inline_and_keeps_values(signed_in):
    response = signed_in("alice").post(
        "/requests/new/purchase-approval/", {"amount": "-5", "vendor": "", "description": "keep me"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Must be greater than 0." in page and "This field is required." in page
    assert "keep me" in page and 'value="-5"' in page
    assert not Case.objects.exists()


def test_request_with_attachment_stores_it_with_checksum(signed_in):
    upload = SimpleUploadedFile("quote.pdf", b"%PDF-1.4 quote", content_type="application/pdf")
    signed_in("alice").post("/requests/new/purchase-approval/", {**PURCHASE, "attachments": upload})
    attachment = Attachment.objects.get()
    assert attachment.name == "quote.pdf" and attachment.size == 14
    assert attachment.sha256 == hashlib.sha256(b"%PDF-1.4 quote").hexdigest()
    assert attachment.content_type == "application/pdf"


def test_request_with_a_forbidden_file_type_is_refused_and_nothing_starts(signed_in):
    upload = SimpleUploadedFile("run.exe", b"MZ...", content_type="application/pdf")
    response = signed_in("alice").post("/requests/new/purchase-approval/", {**PURCHASE, "attachments": upload})
    assert response.status_code == 400 and "only csv, docx" in response.content.decode()
    assert not Case.objects.exists()


def test_a_refused_attachment_does_not_hide_the_other_field_errors(signed_in):
    """Issue 12: the attachment's error used to be the only one shown; every problem shows at once."""
    upload = SimpleUploadedFile("run.exe", b"MZ...", content_type="application/pdf")
    bad = {**PURCHASE, "amount": "-5", "vendor": "", "attachments": upload}
    page = signed_in("alice").post("/requests/new/purchase-approval/", bad).content.decode()
    assert "only csv, docx" in page
    assert "Must be greater than 0." in page and "This field is required." in page
    assert not Case.objects.exists()


def test_too_large_attachment_is_refused(signed_in, start_purchase, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    case = start_purchase()
    upload = SimpleUploadedFile("big.txt", b"x" * 11, content_type="text/plain")
    response = signed_in("alice").post(f"/cases/{case.pk}/attachments/", {"attachments": upload}, follow=True)
    assert "files can be at most" in messages_of(response)[0]
    assert not Attachment.objects.exists()


def test_attachment_download_checks_the_case_permission(signed_in, start_purchase):
    case = start_purchase()
    client = signed_in("alice")
    client.post(f"/cases/{case.pk}/attachments/", {"attachments": SimpleUploadedFile("a.txt", b"hello")})
    attachment = Attachment.objects.get()
    response = client.get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"hello"
    assert 'attachment; filename="a.txt"' in response["Content-Disposition"]
    assert signed_in("oscar").get(f"/attachments/{attachment.pk}/").status_code == 403
    assert events(case, "attachment.added")[0].step == "a.txt"


def test_claim_with_htmx_swaps_the_row_and_release_gives_it_back(signed_in, start_purchase, users):
    case = start_purchase(amount="5000")
    finance = task_for(case, "Finance approval")
    fiona = signed_in("fiona")
    row = fiona.post(f"/tasks/{finance.pk}/claim/", HTTP_HX_REQUEST="true")
    assert row.status_code == 200
    assert row.content.decode().lstrip().startswith(f'<tr id="task-{finance.pk}">')
    assert "Release" in row.content.decode()
    finance.refresh_from_db()
    assert finance.owner == users["fiona"]
    row = fiona.post(f"/tasks/{finance.pk}/release/", HTTP_HX_REQUEST="true")
    assert row.status_code == 200
    finance.refresh_from_db()
    assert finance.owner is None


def test_claiming_a_task_someone_else_took_is_refused_without_a_500(signed_in, start_purchase, users):
    case = start_purchase(amount="5000")
    finance = task_for(case, "Finance approval")
    signed_in("frank").post(f"/tasks/{finance.pk}/claim/")
    response = signed_in("fiona").post(f"/tasks/{finance.pk}/claim/")
    assert response.status_code == 403


def test_approving_moves_on_to_the_next_task_with_a_message(signed_in, start_purchase):
    first, second = start_purchase(), start_purchase()
    bob = signed_in("bob")
    response = bob.post(
        f"/tasks/{task_for(first, 'Manager approval').pk}/decide/", {"decision": "approve"}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/tasks/{task_for(second, 'Manager approval').pk}/"
    assert "Manager approval on request" in messages_of(response)[0] and "approved" in messages_of(response)[0]
    response = bob.post(f"/tasks/{task_for(second, 'Manager approval').pk}/decide/", {"decision": "approve"})
    assert response["Location"] == "/inbox/"
    assert reload(first).outcome == "approved"


def test_reject_needs_a_reason_and_keeps_the_form(signed_in, start_purchase):
    case = start_purchase()
    task = task_for(case, "Manager approval")
    response = signed_in("bob").post(f"/tasks/{task.pk}/decide/", {"decision": "reject", "comment": "hmm"})
    assert response.status_code == 400
    assert "A reason is required to reject." in response.content.decode()
    assert reload(case).status_label == "open"


def test_reject_with_a_reason_code_records_its_label(signed_in, start_purchase):
    case = start_purchase()
    signed_in("bob").post(
        f"/tasks/{task_for(case, 'Manager approval').pk}/decide/", {"decision": "reject", "reason_code": "over_budget"}
    )
    case = reload(case)
    assert case.outcome == "rejected" and case.closed_reason == "Over budget"


def test_deciding_twice_shows_a_message_not_an_error(signed_in, start_purchase):
    case = start_purchase()
    task = task_for(case, "Manager approval")
    bob = signed_in("bob")
    bob.post(f"/tasks/{task.pk}/decide/", {"decision": "approve"})
    response = bob.post(f"/tasks/{task.pk}/decide/", {"decision": "reject", "reason": "x"}, follow=True)
    assert response.status_code == 200
    assert any("already handled" in m for m in messages_of(response))
    assert reload(case).outcome == "approved"


def test_approving_your_own_request_is_403(signed_in, start_purchase, users):
    case = start_purchase(actor=users["fiona"], amount="5000")
    response = signed_in("fiona").post(
        f"/tasks/{task_for(case, 'Finance approval').pk}/decide/", {"decision": "approve"}
    )
    assert response.status_code == 403
    assert reload(case).status_label == "open"


def test_missing_data_the_first_stage_needs_is_asked_for_at_the_form_and_nothing_starts(signed_in):
    form = {**PURCHASE, "cost_center": "", "description": "keep me"}
    response = signed_in("alice").post("/requests/new/purchase-approval/", form)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Cost center required before Approval." in page  # the notice
    assert "Required before Approval." in page  # inline, at the field
    assert "keep me" in page and "Submit without it" in page
    assert not Case.objects.exists()


def test_all_field_errors_show_at_once_before_the_missing_data_notice(signed_in):
    response = signed_in("alice").post("/requests/new/purchase-approval/", {"amount": "-5", "vendor": ""})
    page = response.content.decode()
    assert response.status_code == 400 and "Must be greater than 0." in page and "This field is required." in page
    assert "Submit without it" not in page  # invalid data cannot be submitted incomplete


def test_submitting_without_the_missing_data_on_purpose_returns_it_with_a_warning(signed_in):
    form = {**PURCHASE, "cost_center": "", "incomplete": "1"}
    response = signed_in("alice").post("/requests/new/purchase-approval/", form, follow=True)
    case = Case.objects.get()
    assert case.state == "rework"
    message = response.context["messages"]
    assert [m.level_tag for m in message] == ["warning"]
    assert "back with you to complete: Returned to requester: Cost center" in messages_of(response)[0]


def test_resubmitting_a_returned_request(signed_in, start_purchase):
    case = start_purchase(cost_center=None)
    task = task_for(case, "Rework: complete the request")
    form = {"amount": "500", "vendor": "ACME Ltd", "vendor_risk": "low", "cost_center": "", "description": ""}
    alice = signed_in("alice")
    response = alice.post(f"/tasks/{task.pk}/decide/", form)
    assert response.status_code == 400, "still missing: said at the form, not sent back again"
    assert "Required before Approval." in response.content.decode()
    assert reload(case).state == "rework" and list(open_tasks(reload(case))) == [task]
    assert reload(case).data.get("amount") != "500", "nothing of the refused resubmission is kept"
    alice.post(f"/tasks/{task.pk}/decide/", {**form, "cost_center": "CC-5"})
    case = reload(case)
    assert case.state == "approval" and case.data["cost_center"] == "CC-5"


def test_invalid_resubmission_shows_the_error_at_the_field(signed_in, start_purchase):
    case = start_purchase(cost_center=None)
    task = task_for(case, "Rework: complete the request")
    response = signed_in("alice").post(f"/tasks/{task.pk}/decide/", {"amount": "lots", "vendor": "ACME Ltd"})
    assert response.status_code == 400 and "Enter a number." in response.content.decode()


def test_requester_withdraws_and_open_approvals_are_cancelled(signed_in, start_purchase):
    case = start_purchase(amount="5000")
    response = signed_in("alice").post(f"/cases/{case.pk}/withdraw/", {"reason": "bought elsewhere"}, follow=True)
    assert f"Request #{case.pk} withdrawn." in messages_of(response)
    case = reload(case)
    assert (case.status_label, case.outcome, case.closed_reason) == ("closed", "withdrawn", "bought elsewhere")
    assert open_tasks(case) == []
    assert len(events(case, "task.cancelled")) == 2 and len(events(case, "case.withdrawn")) == 1


def test_only_the_requester_withdraws_and_only_once(signed_in, start_purchase):
    case = start_purchase()
    assert signed_in("bob").post(f"/cases/{case.pk}/withdraw/").status_code == 403
    alice = signed_in("alice")
    alice.post(f"/cases/{case.pk}/withdraw/")
    response = alice.post(f"/cases/{case.pk}/withdraw/", follow=True)
    assert any("already closed" in m for m in messages_of(response))


def test_comments_are_added_and_audited(signed_in, start_purchase):
    case = start_purchase()
    bob = signed_in("bob")
    bob.post(f"/cases/{case.pk}/comments/", {"body": "Which project is this for?"})
    assert "Which project is this for?" in bob.get(f"/cases/{case.pk}/").content.decode()
    assert events(case, "comment.added")[0].comment == "Which project is this for?"
    response = bob.post(f"/cases/{case.pk}/comments/", {"body": "  "}, follow=True)
    assert "Write a comment first." in messages_of(response)
    assert signed_in("oscar").post(f"/cases/{case.pk}/comments/", {"body": "hi"}).status_code == 403


def test_actions_need_post(signed_in, start_purchase):
    case = start_purchase()
    assert signed_in("bob").get(f"/tasks/{task_for(case, 'Manager approval').pk}/decide/").status_code == 405
