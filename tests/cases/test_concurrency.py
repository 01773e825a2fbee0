"""Concurrent actions on one case never double-advance it (PostgreSQL row locks)."""

import pytest

from apps.cases.flows import CaseFlow
from apps.cases.services import task_complete
from apps.core.errors import Conflict
from tests.concurrency import POSTGRES_ONLY, run_together
from tests.conftest import events, reload, task_for

pytestmark = POSTGRES_ONLY


@pytest.mark.parametrize("attempt", range(3))
def test_last_two_approvals_at_the_same_moment_advance_the_case_once(start_purchase, users, attempt):
    case = start_purchase(amount="5000")
    manager, finance = task_for(case, "Manager approval"), task_for(case, "Finance approval")
    results = run_together(
        lambda: task_complete(task_id=manager.pk, actor=users["bob"], decision="approve"),
        lambda: task_complete(task_id=finance.pk, actor=users["fiona"], decision="approve"),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    case = reload(case)
    assert (case.status_label, case.outcome) == ("closed", "approved")
    assert len(events(case, "case.closed")) == 1
    assert case.task_set.filter(flow_task=CaseFlow.approval_join).count() == 1
    assert case.task_set.filter(flow_task=CaseFlow.approved).count() == 1


def test_the_same_task_completed_twice_at_once_counts_once(start_purchase, users):
    case = start_purchase(amount="5000")
    manager = task_for(case, "Manager approval")
    results = run_together(
        lambda: task_complete(task_id=manager.pk, actor=users["bob"], decision="approve"),
        lambda: task_complete(task_id=manager.pk, actor=users["bob"], decision="reject", reason="changed my mind"),
    )
    assert sum(isinstance(r, Conflict) for r in results) == 1
    assert len(events(case, "task.decided")) == 1
    assert reload(case).status_label in {"open", "closed"}
