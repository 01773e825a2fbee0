"""Every write to a case keeps why with its history row (simple-history's change reason), in the
words the field-level history shows; no extra query (tests/cases/test_query_budget.py)."""

from datetime import timedelta

from django.utils import timezone

from apps.cases.change_reasons import MAX_LENGTH
from apps.cases.services import case_withdraw, task_complete
from apps.org.services import absence_set
from tests.conftest import reload, task_for


def reasons(case) -> list[str]:
    return list(
        reload(case).history.order_by("history_date", "history_id").values_list("history_change_reason", flat=True)
    )


def test_start_decisions_and_resubmission_say_who_and_why(start_purchase, users):
    case = start_purchase(amount="5000")
    task_complete(
        task_id=task_for(case, "Manager approval").pk, actor=users["bob"], decision="return", reason="Too much"
    )
    task_complete(
        task_id=task_for(case, "Rework: complete the request").pk,
        actor=users["alice"],
        decision="submit",
        data={"amount": "900"},
        comment="Smaller model.",
    )
    task_complete(
        task_id=task_for(case, "Manager approval").pk,
        actor=users["bob"],
        decision="reject",
        reason_code="over_budget",
        reason="",
    )

    assert reasons(case) == [
        "Case started by alice",
        "Returned by bob: Too much",
        "Resubmitted by alice: Smaller model.",
        "Rejected by bob: Over budget",
    ]


def test_a_delegates_decision_says_whom_it_was_for(start_purchase, users):
    now = timezone.now()
    absence_set(
        user=users["bob"],
        starts=now - timedelta(hours=1),
        ends=now + timedelta(days=1),
        delegate=users["frank"],
        actor=users["bob"],
    )
    case = start_purchase(amount="500")
    task_complete(task_id=task_for(case, "Manager approval").pk, actor=users["frank"], decision="approve")
    assert reasons(case)[-1] == "Approved by frank on behalf of bob"


def test_a_withdrawal_and_a_long_reason_fit_the_column(start_purchase, users):
    case = start_purchase(amount="5000")
    case_withdraw(case_id=case.pk, actor=users["alice"], reason="Not needed " * 20)

    kept = reasons(case)[-1]
    assert kept.startswith("Case withdrawn by alice: Not needed Not needed")
    assert len(kept) == MAX_LENGTH and kept.endswith("…")
