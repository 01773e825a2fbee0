"""Exception rate, exceptions by category (open vs repaired), recurring ones and repairs per step,
from automated steps that really failed (an ERP that refuses the call) and were repaired."""

import re

import pytest
from django.test import override_settings

from apps.automation.backfill import case_had_exception_fill
from apps.automation.models import StepAttempt, StepRun
from apps.automation.repair import step_retry
from apps.cases.models import Case
from apps.cases.services import case_start
from apps.metrics.filters import metrics_filter
from apps.metrics.policy import metrics_scope
from apps.metrics.selectors import exceptions_panel, metrics_summary, rework_panel
from tests.api.specs import ERP_STEP, INVOICE_FIELDS
from tests.metrics.conftest import both

KEY = "invoice-metrics"
APPROVAL = {"key": "approval", "name": "Approval", "approvers": [{"key": "manager", "type": "manager"}]}


@pytest.fixture
def erp(demo, publish, httpserver, django_capture_on_commit_callbacks):
    """Start invoice cases against an ERP answering `status`; returns the case."""
    publish(KEY, [ERP_STEP, APPROVAL], fields=INVOICE_FIELDS)

    def _start(status: int):
        httpserver.clear()
        httpserver.expect_request("/erp/invoices").respond_with_json({"message": "answer"}, status=status)
        with override_settings(WMS_ENDPOINTS={"ERP": httpserver.url_for("/erp")}):
            with django_capture_on_commit_callbacks(execute=True):
                case, _ = case_start(workflow=KEY, data={"vendor": "ACM"}, actor=demo["alice"])
        return case

    return _start


def numbers(user):
    scope, chosen = metrics_scope(user=user), metrics_filter(workflow=KEY)
    return {
        "summary": metrics_summary(scope=scope, metrics_filter=chosen),
        "exceptions": both(exceptions_panel, scope=scope, metrics_filter=chosen),
        "rework": both(rework_panel, scope=scope, metrics_filter=chosen),
    }


def test_exceptions_open_then_repaired(demo, erp, httpserver, django_capture_on_commit_callbacks):
    failed, fine, refused = erp(422), erp(200), erp(422)
    assert StepRun.objects.get(case=failed).status == "exception"
    assert StepRun.objects.get(case=fine).status == "succeeded"

    before = numbers(demo["oscar"])
    assert before["summary"]["exception_rate"] == round(2 / 3, 4)
    assert before["summary"]["exceptions"] == [{"category": "rejected", "count": 2}]
    assert before["exceptions"]["by_category"] == [
        {
            "category": "rejected",
            "count": 2,
            "open": 2,
            "repaired": 0,
            "case_ids": sorted([failed.pk, refused.pk]),
            "open_case_ids": sorted([failed.pk, refused.pk]),
            "repaired_case_ids": [],
        }
    ]
    assert [w["open"] for w in before["exceptions"]["by_week"]] == [2]
    assert before["exceptions"]["recurring"] == []

    httpserver.clear()
    httpserver.expect_request("/erp/invoices").respond_with_json({"id": 1}, status=200)
    with override_settings(WMS_ENDPOINTS={"ERP": httpserver.url_for("/erp")}):
        with django_capture_on_commit_callbacks(execute=True):
            step_retry(run_id=StepRun.objects.get(case=failed).pk, actor=demo["oscar"], note="ERP fixed")

    after = numbers(demo["oscar"])
    assert after["summary"]["exception_rate"] == round(2 / 3, 4), "a repaired failure still happened"
    (category,) = after["exceptions"]["by_category"]
    assert (category["open"], category["repaired"]) == (1, 1)
    # The cases behind "open" and "repaired" are exactly those: the refused one waits, the other was repaired.
    assert (category["open_case_ids"], category["repaired_case_ids"]) == ([refused.pk], [failed.pk])
    assert after["rework"]["repairs_by_step"] == [{"step_key": "erp_check", "repairs": 1, "case_ids": [failed.pk]}]


def test_a_step_retried_into_the_same_failure_counts_one_repaired_and_one_open(
    demo, erp, httpserver, django_capture_on_commit_callbacks
):
    # The operator retries, the ERP refuses again: the first failure was dealt with, the second waits.
    case = erp(422)
    run = StepRun.objects.get(case=case)
    with override_settings(WMS_ENDPOINTS={"ERP": httpserver.url_for("/erp")}):
        with django_capture_on_commit_callbacks(execute=True):
            step_retry(run_id=run.pk, actor=demo["oscar"], note="try again")
    assert StepAttempt.objects.filter(run=run, outcome="failed").count() == 2
    run.refresh_from_db()
    assert run.status == "exception"

    found = numbers(demo["oscar"])  # `both`: the counted numbers equal those read case by case
    (category,) = found["exceptions"]["by_category"]
    assert (category["count"], category["open"], category["repaired"]) == (2, 1, 1)
    assert found["summary"]["exceptions"] == [{"category": "rejected", "count": 2}]
    assert found["rework"]["repairs_by_step"] == [{"step_key": "erp_check", "repairs": 1, "case_ids": [case.pk]}]


def listed(client, ref: str) -> list[int]:
    html = client.get(f"/dashboards/cases/?workflow={KEY}&panel=exceptions&ref={ref}").content.decode()
    return [int(n) for n in re.findall(r"<td>(?:<a [^>]*>)?#(\d+)", html)]


def test_the_open_and_repaired_numbers_list_exactly_their_cases(demo, erp, httpserver, client):
    failed, refused = erp(422), erp(422)
    httpserver.clear()
    httpserver.expect_request("/erp/invoices").respond_with_json({"id": 1}, status=200)
    with override_settings(WMS_ENDPOINTS={"ERP": httpserver.url_for("/erp")}):
        step_retry(run_id=StepRun.objects.get(case=failed).pk, actor=demo["oscar"], note="ERP fixed")

    client.force_login(demo["oscar"])
    assert listed(client, "category:rejected") == sorted([failed.pk, refused.pk])
    assert listed(client, "category:rejected:open") == [refused.pk]
    assert listed(client, "category:rejected:repaired") == [failed.pk]


def test_the_same_step_failing_again_and_again_is_recurring(demo, erp):
    cases = [erp(422) for _ in range(3)]
    (recurring,) = numbers(demo["oscar"])["exceptions"]["recurring"]
    assert (recurring["step_key"], recurring["category"], recurring["count"]) == ("erp_check", "rejected", 3)
    assert recurring["case_ids"] == sorted(case.pk for case in cases)


def marked_cases() -> set[int]:
    return set(Case.objects.filter(had_exception=True).values_list("pk", flat=True))


def test_a_case_whose_step_failed_for_good_is_marked_and_the_backfill_agrees(demo, erp):
    failed, fine = erp(422), erp(200)
    assert marked_cases() == {failed.pk}
    # Written in the save that sent the case to the exception queue, its history row with it.
    queued = Case.history.filter(id=failed.pk, state="exception").get()
    assert queued.had_exception is True
    assert Case.objects.get(pk=fine.pk).had_exception is False

    Case.objects.update(had_exception=False)
    assert case_had_exception_fill(Case, StepAttempt) == 1
    assert marked_cases() == {failed.pk}
