"""The exception queue in the portal, and automated steps on the case page: what an operator
and a requester see and can do when the ERP refuses an invoice."""

import json

import pytest
from django.utils.html import escape

from apps.automation.models import StepRun
from apps.automation.services import MSG_ASSIGNEE_UNKNOWN, MSG_REASON_REQUIRED
from apps.cases.models import Case
from apps.portal.views.exceptions import MSG_CANCELLED, MSG_SKIPPED
from tests.conftest import open_tasks

from .conftest import TOKEN

ERP = "/erp/invoices"


@pytest.fixture
def refused(erp_settings, invoice_flow, start_invoice):
    """Start an invoice the ERP refuses once (422); returns its step run."""
    workflow = invoice_flow()

    def _refused(**data):
        erp_settings.expect_oneshot_request(ERP, method="POST").respond_with_json(
            {"message": "Unknown vendor"}, status=422
        )
        case = start_invoice(workflow, **data)
        return StepRun.objects.select_related("case").get(case=case, step_key="erp_check")

    return _refused


@pytest.fixture
def as_user(client, demo):
    def _as(username):
        client.force_login(demo[username])
        return client

    return _as


def page(response) -> str:
    body = response.content.decode()
    assert TOKEN not in body
    return body


def test_the_queue_lists_a_refused_call_under_its_category(refused, as_user):
    run = refused()
    body = page(as_user("oscar").get("/exceptions/"))
    assert "Rejected by target" in body
    assert f'href="/cases/{run.case_id}/"' in body and f'href="/exceptions/{run.pk}/"' in body
    assert "invoice-test" in body and "Validate in ERP" in body and "ERP answered 422: Unknown vendor." in body
    assert '<strong class="stat-count">1</strong>' in body
    assert "&lt; 1 min" in body  # age: never "0 min"
    assert "recurring" not in body


def test_the_nav_shows_exceptions_to_operators_only(refused, as_user):
    refused()
    assert 'href="/exceptions/"' in as_user("oscar").get("/").content.decode()
    assert 'href="/exceptions/"' not in as_user("alice").get("/").content.decode()


@pytest.mark.parametrize("username", ["alice", "bob"])
def test_people_who_are_not_operators_are_refused(refused, as_user, username):
    run = refused()
    client = as_user(username)
    assert client.get("/exceptions/").status_code == 403
    assert client.get(f"/exceptions/{run.pk}/").status_code == 403
    assert client.post(f"/exceptions/{run.pk}/skip/", {"reason": "done by hand"}).status_code == 403
    assert StepRun.objects.get(pk=run.pk).status == "exception"


def test_the_detail_shows_the_redacted_request_the_response_and_the_attempts(refused, as_user):
    run = refused()
    body = page(as_user("oscar").get(f"/exceptions/{run.pk}/"))
    assert "&quot;Authorization&quot;: &quot;***&quot;" in body
    assert f"wms-{run.case_id}-erp_check-r1" in body
    assert "&quot;message&quot;: &quot;Unknown vendor&quot;" in body  # the response body, as JSON
    assert "Attempt history" in body and "422" in body and "failed" in body
    assert "INV-1001" in body and "alice" in body.lower()  # the case's data and requester
    for action in ("retry", "skip", "assign", "cancel"):
        assert f'action="/exceptions/{run.pk}/{action}/"' in body


def test_the_token_never_appears_on_any_page(refused, as_user):
    run = refused()
    client = as_user("oscar")
    for url in ("/exceptions/", f"/exceptions/{run.pk}/", f"/cases/{run.case_id}/", "/exceptions/?tab=retrying"):
        page(client.get(url))


def test_an_operator_skips_the_step_and_the_case_goes_to_approval(refused, as_user, demo):
    run = refused()
    client = as_user("oscar")
    response = client.post(f"/exceptions/{run.pk}/skip/", {"reason": "Checked in the ERP by hand"}, follow=True)
    assert response.redirect_chain == [(f"/exceptions/{run.pk}/", 302)]
    body = page(response)
    assert MSG_SKIPPED.format(step="Validate in ERP", case=run.case_id) in body
    assert "Skipped by oscar: Checked in the ERP by hand" in body  # the resolution
    assert 'action="/exceptions/' not in body  # nothing left to do
    case = Case.objects.get(pk=run.case_id)
    assert case.state == "approval"
    assert [t.owner for t in open_tasks(case)] == [demo["bob"]]
    assert "The exception queue is empty" in client.get("/exceptions/").content.decode()


def test_skipping_without_a_reason_says_so_next_to_the_field(refused, as_user):
    run = refused()
    response = as_user("oscar").post(f"/exceptions/{run.pk}/skip/", {"reason": "  "})
    assert response.status_code == 400
    body = page(response)
    error = f'<p class="error">{MSG_REASON_REQUIRED}</p>'
    assert body.index('id="skip-reason"') < body.index(error) < body.index("Skip step</button>")  # next to the field
    assert StepRun.objects.get(pk=run.pk).status == "exception"


def test_edit_and_retry_sends_the_corrected_value(refused, as_user, erp_settings, django_capture_on_commit_callbacks):
    run = refused()
    erp_settings.expect_request(ERP, method="POST").respond_with_json({"reference": "ERP-1"})
    form = {"edit": "1", "invoice_number": "INV-1001", "amount": "1200.00", "po_number": "PO-88", "note": "PO typo"}
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user("oscar").post(f"/exceptions/{run.pk}/retry/", form)
    assert response.status_code == 302 and response.url == f"/exceptions/{run.pk}/"
    first, second = [json.loads(request.data) for request, _ in erp_settings.log]
    assert first["po"] == "PO-77" and second["po"] == "PO-88"
    assert erp_settings.log[1][0].headers["Idempotency-Key"] == f"wms-{run.case_id}-erp_check-r2"
    case = Case.objects.get(pk=run.case_id)
    assert case.state == "approval" and case.data["erp_reference"] == "ERP-1"
    body = page(as_user("oscar").get(response.url))
    assert "PO number corrected" in body and "succeeded" in body.lower()


def test_edit_and_retry_with_a_bad_value_keeps_what_was_typed(refused, as_user):
    run = refused()
    form = {"edit": "1", "invoice_number": "INV-1001", "amount": "lots", "po_number": "PO-88"}
    response = as_user("oscar").post(f"/exceptions/{run.pk}/retry/", form)
    assert response.status_code == 400
    body = page(response)
    assert 'value="lots"' in body and 'value="PO-88"' in body
    assert '<div class="field invalid">' in body and "<details open>" in body
    assert StepRun.objects.get(pk=run.pk).revision == 1


def test_retry_now_without_changes_keeps_the_idempotency_key(
    refused, as_user, erp_settings, django_capture_on_commit_callbacks
):
    run = refused()
    erp_settings.expect_request(ERP, method="POST").respond_with_json({"reference": "ERP-2"})
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user("oscar").post(f"/exceptions/{run.pk}/retry/", follow=True)
    assert "is being tried again" in page(response)
    keys = [request.headers["Idempotency-Key"] for request, _ in erp_settings.log]
    assert keys == [f"wms-{run.case_id}-erp_check-r1"] * 2


def test_cancelling_closes_the_case(refused, as_user):
    run = refused()
    client = as_user("oscar")
    assert "Completed steps with an undo call will be undone" in client.get(f"/exceptions/{run.pk}/").content.decode()
    response = client.post(f"/exceptions/{run.pk}/cancel/", {"reason": "Duplicate invoice"}, follow=True)
    assert response.redirect_chain == [("/exceptions/", 302)]
    assert MSG_CANCELLED.format(case=run.case_id) in page(response)
    case = Case.objects.get(pk=run.case_id)
    assert case.state == "cancelled" and not case.is_open
    again = client.post(f"/exceptions/{run.pk}/cancel/", {"reason": "Again"}, follow=True)
    assert "only a step in the exception queue (or retrying) can be repaired" in page(again)


def test_cancelling_without_a_reason_is_refused(refused, as_user):
    run = refused()
    response = as_user("oscar").post(f"/exceptions/{run.pk}/cancel/", {"reason": ""})
    assert response.status_code == 400 and MSG_REASON_REQUIRED in response.content.decode()
    assert Case.objects.get(pk=run.case_id).is_open


def test_routing_to_a_person_lets_them_repair_and_fills_mine(refused, as_user, demo):
    run, other = refused(), refused(invoice_number="INV-1002")
    client = as_user("oscar")
    response = client.post(f"/exceptions/{run.pk}/assign/", {"username": "oscar", "note": "mine"}, follow=True)
    assert "routed to oscar" in page(response)
    mine = client.get("/exceptions/?mine=1").content.decode()
    assert f'id="run-{run.pk}"' in mine and f'id="run-{other.pk}"' not in mine
    client.post(f"/exceptions/{other.pk}/assign/", {"username": "fiona"})
    fiona = as_user("fiona")
    assert fiona.get("/exceptions/").status_code == 403
    assert fiona.get(f"/exceptions/{other.pk}/").status_code == 200
    assert fiona.post(f"/exceptions/{other.pk}/skip/", {"reason": "Entered by hand"}).status_code == 302
    assert StepRun.objects.get(pk=other.pk).status == "skipped"


def test_routing_to_nobody_known_is_refused_next_to_the_field(refused, as_user):
    run = refused()
    response = as_user("oscar").post(f"/exceptions/{run.pk}/assign/", {"username": "zed", "note": "please"})
    assert response.status_code == 400
    body = page(response)
    assert escape(MSG_ASSIGNEE_UNKNOWN.format(username="zed")) in body and 'value="please"' in body


def test_a_step_that_keeps_failing_is_marked_recurring(refused, as_user):
    for n in range(3):
        refused(invoice_number=f"INV-{n}")
    body = as_user("oscar").get("/exceptions/").content.decode()
    assert body.count("recurring: probably a missing rule") == 3
    assert '<strong class="stat-count">3</strong>' in body


def test_retrying_steps_have_their_own_tab(erp_settings, start_invoice, as_user):
    erp_settings.expect_request(ERP, method="POST").respond_with_json({"message": "busy"}, status=503)
    case = start_invoice()
    client = as_user("oscar")
    assert "The exception queue is empty" in client.get("/exceptions/").content.decode()
    body = client.get("/exceptions/?tab=retrying").content.decode()
    run = StepRun.objects.get(case=case)
    assert run.status == "retrying" and f'id="run-{run.pk}"' in body and "Target unavailable" in body


def test_filters_by_category_and_workflow(refused, as_user):
    run = refused()
    client = as_user("oscar")
    assert f'id="run-{run.pk}"' in client.get("/exceptions/?category=rejected&workflow=invoice-test").content.decode()
    for query in ("category=timeout", "workflow=purchase-approval"):
        body = client.get(f"/exceptions/?{query}").content.decode()
        assert f'id="run-{run.pk}"' not in body and "Nothing matches these filters" in body
    fragment = client.get("/exceptions/?category=rejected", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="exception-queue")
    assert f'id="run-{run.pk}"' in fragment.content.decode() and "<html" not in fragment.content.decode()


def test_the_queue_runs_a_fixed_number_of_queries(refused, as_user, django_assert_max_num_queries):
    for n in range(4):
        refused(invoice_number=f"INV-{n}")
    client = as_user("oscar")
    with django_assert_max_num_queries(12):
        assert client.get("/exceptions/").status_code == 200


def test_the_case_page_shows_the_exception_and_who_may_repair_it(refused, as_user):
    run = refused()
    operator = page(as_user("oscar").get(f"/cases/{run.case_id}/"))
    assert "Exception at Validate in ERP (ERP)" in operator and "ERP answered 422: Unknown vendor." in operator
    assert f'href="/exceptions/{run.pk}/"' in operator
    assert "Automated steps" in operator
    requester = page(as_user("alice").get(f"/cases/{run.case_id}/"))
    assert "Exception at Validate in ERP" in requester and f'href="/exceptions/{run.pk}/"' not in requester


def test_the_case_page_says_which_system_the_case_waits_on(invoice_flow, demo, as_user):
    from apps.cases.services import case_start

    case, _ = case_start(  # the call is queued after commit, which never comes here: still waiting
        workflow=invoice_flow(), data={"invoice_number": "INV-9", "amount": "10.00"}, actor=demo["alice"]
    )
    body = page(as_user("alice").get(f"/cases/{case.pk}/"))
    assert "Waiting on ERP: Validate in ERP" in body and "Automated steps" in body and "Queued" in body


def test_a_case_without_automated_steps_has_no_steps_section(start_purchase, as_user):
    case = start_purchase()
    assert "Automated steps" not in as_user("alice").get(f"/cases/{case.pk}/").content.decode()


def test_htmx_actions_redirect_on_success_and_swap_the_errors_in_place(refused, as_user):
    run = refused()
    client = as_user("oscar")
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "step-actions"}
    refusal = client.post(f"/exceptions/{run.pk}/skip/", {"reason": ""}, **headers)
    assert refusal.status_code == 400 and 'id="step-actions"' in refusal.content.decode()
    done = client.post(f"/exceptions/{run.pk}/skip/", {"reason": "Done by hand"}, **headers)
    assert done.status_code == 200 and done["HX-Redirect"] == f"/exceptions/{run.pk}/"


def test_operators_read_cases_with_automated_steps_and_only_those(refused, as_user, start_purchase):
    run = refused()
    purchase = start_purchase()
    client = as_user("oscar")
    assert client.get(f"/cases/{run.case_id}/").status_code == 200
    assert client.get(f"/cases/{purchase.pk}/").status_code == 403
    # The person an exception is routed to reads that case too.
    assert as_user("fiona").get(f"/cases/{run.case_id}/").status_code == 403
    as_user("oscar").post(f"/exceptions/{run.pk}/assign/", {"username": "fiona"})
    assert as_user("fiona").get(f"/cases/{run.case_id}/").status_code == 200


def test_failures_repaired_since_still_count_as_recurring(refused, as_user, run_committed, demo):
    from apps.automation.services import step_skip

    first, second = refused(invoice_number="INV-1"), refused(invoice_number="INV-2")
    run_committed(step_skip, run_id=first.pk, actor=demo["oscar"], reason="Entered by hand")
    run_committed(step_skip, run_id=second.pk, actor=demo["oscar"], reason="Entered by hand")
    assert "recurring" not in as_user("oscar").get("/exceptions/").content.decode()
    refused(invoice_number="INV-3")
    body = as_user("oscar").get("/exceptions/").content.decode()
    assert body.count("recurring: probably a missing rule") == 1
