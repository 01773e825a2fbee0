"""Racing workers and operators on one step never call twice at once or advance the case twice
(PostgreSQL: SQLite has one writer at a time)."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from werkzeug import Response

from apps.automation.models import StepRun, StepStatus
from apps.automation.services import step_attempt, step_callback, step_skip
from apps.cases.models import CaseState
from apps.core.errors import Conflict
from apps.org import roles
from tests.concurrency import POSTGRES_ONLY, run_together
from tests.conftest import open_tasks, reload

pytestmark = POSTGRES_ONLY

ERP = "/erp/invoices"


@pytest.fixture
def queued_step(monkeypatch, start_invoice):
    """A case whose ERP step is queued, with nothing run after commit: the test runs it."""
    monkeypatch.setattr("apps.automation.base.enqueue", lambda ids: None)

    def _queued(workflow=None):
        case = start_invoice(workflow)
        return case, StepRun.objects.get(case=case)

    return _queued


def test_four_workers_on_one_queued_step_call_once_and_advance_once(queued_step, erp_settings):
    def slow(request):
        time.sleep(0.3)
        return Response('{"reference": "ERP-1"}', content_type="application/json")

    erp_settings.expect_request(ERP, method="POST").respond_with_handler(slow)
    case, run = queued_step()
    results = run_together(*[lambda: step_attempt(run_id=run.pk)] * 4)

    assert not any(isinstance(r, Exception) for r in results), results
    assert len(erp_settings.log) == 1
    assert StepRun.objects.get(pk=run.pk).status == StepStatus.SUCCEEDED
    assert reload(case).state == CaseState.APPROVAL
    assert len(open_tasks(case)) == 1


def test_two_operators_skipping_at_once_advance_the_case_once(queued_step, erp_settings, demo):
    erp_settings.expect_request(ERP, method="POST").respond_with_json({"message": "no"}, status=422)
    case, run = queued_step()
    step_attempt(run_id=run.pk)
    assert StepRun.objects.get(pk=run.pk).status == StepStatus.EXCEPTION
    olga = get_user_model().objects.create_user("olga")
    Group.objects.get(name=roles.OPERATORS).user_set.add(olga)

    results = run_together(
        lambda: step_skip(run_id=run.pk, actor=demo["oscar"], reason="done by hand"),
        lambda: step_skip(run_id=run.pk, actor=olga, reason="done by hand too"),
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "StepRun"], results
    assert len(open_tasks(reload(case))) == 1


def test_a_callback_racing_a_copy_of_itself_completes_the_wait_once(publish, start_invoice, demo):
    from .conftest import APPROVAL, FIELDS

    wait = {"key": "customer", "name": "Customer", "type": "wait", "system": "Portal"}
    case = start_invoice(publish("wait-race", [wait, APPROVAL], fields=FIELDS))
    results = run_together(
        *[lambda: step_callback(case_id=case.pk, step_key="customer", data={}, actor=demo["admin"])] * 3
    )
    assert sum(isinstance(r, Conflict) for r in results) == 2, results
    assert len(open_tasks(reload(case))) == 1
