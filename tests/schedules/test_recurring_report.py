"""The `recurring-report` template through the real engine: a schedule starts it, the ERP hands
out the period's extract, finance prepares and the requester's manager reviews; when the ERP
refuses the extract the run waits in the exception queue until an operator retries it."""

import pytest
from django.test import override_settings

from apps.audit.models import Action, AuditEvent
from apps.automation.models import StepRun
from apps.automation.repair import step_retry
from apps.cases.models import Case
from apps.cases.services import task_complete
from apps.definitions.selectors import definition_get
from apps.demo.models import ErpCall, ErpMode, ErpSettings
from apps.schedules.selectors import run_for_case, run_is_late
from apps.schedules.services import schedule_create, schedules_run_due
from tests.conftest import open_tasks, task_for

from .conftest import berlin

pytestmark = pytest.mark.django_db(transaction=True)

DATA = {"report_name": "Monthly finance report", "source": "general_ledger"}


@pytest.fixture
def erp(live_server):
    with override_settings(WMS_ENDPOINTS={"ERP": live_server.url + "/demo/erp"}):
        yield


@pytest.fixture
def run_at(demo, erp, django_capture_on_commit_callbacks):
    """Schedule the report monthly (made on 30 November, in fiona's name) and run the runner at
    `moment`, with what the runs queue after commit (the ERP call) done at once."""
    import time_machine

    with time_machine.travel(berlin(2026, 11, 30, 12, 0), tick=False):
        schedule_create(
            definition=definition_get(key="recurring-report"),
            actor=demo["olivia"],
            name="Monthly finance report",
            cron="0 9 1 * *",
            requester="fiona",
            data=dict(DATA),
        )

    def _run(moment):
        with django_capture_on_commit_callbacks(execute=True):
            [run] = schedules_run_due(at=moment)
        return run, Case.objects.get(pk=run.case_id)

    return _run


def test_a_scheduled_report_is_fetched_prepared_by_finance_and_reviewed_by_the_manager(run_at, demo):
    run, case = run_at(berlin(2026, 12, 1, 9, 1))

    assert case.requester == demo["fiona"] and not run.started_late
    assert case.data["scheduled_for"] == "2026-12-01"  # the period, filled in by the schedule
    assert case.data["extract_reference"] == "EXT-20261201-0" and case.data["row_count"] == 0  # no invoices yet
    assert ErpCall.objects.get().path == "/demo/erp/reports"
    assert (case.state, case.stage) == ("approval", "prepare")
    prepare = task_for(case, "Prepare the report")
    task_complete(task_id=prepare.pk, actor=demo["frank"], decision="approve", comment="Prepared from the extract.")

    case = Case.objects.get(pk=case.pk)
    assert case.stage == "review"
    [review] = open_tasks(case)
    assert review.owner == demo["carol"]  # fiona's manager
    task_complete(task_id=review.pk, actor=demo["carol"], decision="approve")

    case = Case.objects.get(pk=case.pk)
    assert case.state == "approved" and not case.is_open
    assert not run_is_late(run_for_case(case=case), now=berlin(2026, 12, 10, 9, 0))


def test_the_data_source_failing_sends_the_run_to_the_exception_queue_and_a_retry_repairs_it(
    run_at, demo, django_capture_on_commit_callbacks
):
    ErpSettings.objects.update_or_create(pk=1, defaults={"mode": ErpMode.REJECT})

    run, case = run_at(berlin(2026, 12, 1, 9, 1))

    step = StepRun.objects.get(case=case)
    assert case.state == "exception" and not case.data.get("extract_reference")
    assert step.status == "exception" and step.category == "rejected"
    assert "The ledger for this period is locked" in step.last_error

    ErpSettings.objects.update_or_create(pk=1, defaults={"mode": ErpMode.OK})
    with django_capture_on_commit_callbacks(execute=True):
        step_retry(run_id=step.pk, actor=demo["oscar"])

    case = Case.objects.get(pk=case.pk)
    assert (case.state, case.stage) == ("approval", "prepare") and case.data["extract_reference"]
    assert StepRun.objects.get(case=case).status == "succeeded"
    assert task_for(case, "Prepare the report")


def test_a_run_started_after_downtime_is_marked_late_on_its_case(run_at, client, demo):
    run, case = run_at(berlin(2026, 12, 1, 14, 0))  # the runner was down at 09:00

    assert run.started_late and run_is_late(run)
    started = AuditEvent.objects.get(case_id=case.pk, action=Action.SCHEDULE_STARTED)
    assert started.reason == "Started late by schedule 'Monthly finance report': due 2026-12-01 08:00 UTC."
    client.force_login(demo["fiona"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "<dt>Recurring run</dt><dd>Monthly finance report, due" in page
    assert 'title="started after its period began (the scheduler was down)">late</span>' in page
    assert "Started late by schedule &#x27;Monthly finance report&#x27;: due 2026-12-01 08:00 UTC." in page


def test_an_on_time_run_shows_no_late_badge_until_it_is_past_its_due_time(run_at, client, demo):
    import time_machine

    run, case = run_at(berlin(2026, 12, 1, 9, 1))
    client.force_login(demo["fiona"])
    with time_machine.travel(berlin(2026, 12, 1, 10, 0), tick=False):
        assert ">late</span>" not in client.get(f"/cases/{case.pk}/").content.decode()
    with time_machine.travel(berlin(2026, 12, 3, 10, 0), tick=False):  # past its 8 business hours
        assert 'title="open past its due time">late</span>' in client.get(f"/cases/{case.pk}/").content.decode()
