"""The engine's lifecycle events (apps.cases.events): feature apps act on them, whatever moved
the work, and they run inside the transaction of the change."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.cases import events as lifecycle
from apps.cases.models import Case
from apps.cases.reassignment import absence_handover
from apps.cases.services import case_start, case_withdraw, task_reassign
from apps.notify.models import Notification
from apps.org.services import absence_set
from tests.conftest import task_for


def notices(user, case):
    return list(Notification.objects.filter(user=user, case_id=case.pk).order_by("id"))


def test_an_approver_whose_task_is_cancelled_is_told(start_purchase, users):
    """Before the engine emitted `task_cancelled`, withdrawn approvers were never told."""
    case = start_purchase(amount="5000")
    case_withdraw(case_id=case.pk, actor=users["alice"], reason="Bought elsewhere")

    [told] = [n for n in notices(users["bob"], case) if n.kind == "notice"]
    assert "Manager approval" in told.subject and "no longer needed" in told.subject
    assert told.body == "The requester withdrew the case."
    assert told.url == f"/cases/{case.pk}/"
    assert not [n for n in notices(users["alice"], case) if n.kind == "notice"], "not told of her own doing"


def test_whoever_gains_or_loses_a_task_is_told_whatever_moved_it(start_purchase, users):
    case = start_purchase(amount="5000")
    task = task_for(case, "Manager approval")

    task_reassign(task_id=task.pk, to_user=users["frank"], actor=users["oscar"], reason="Bob is on a course.")

    [gained] = [n for n in notices(users["frank"], case)]
    assert gained.kind == "task_assigned" and "is now yours" in gained.subject
    assert gained.body == "Bob is on a course." and gained.url == f"/tasks/{task.pk}/"
    [lost] = [n for n in notices(users["bob"], case) if n.kind == "notice"]
    assert "taken off your list" in lost.subject and "frank has it now" in lost.body
    assert notices(users["oscar"], case) == [], "the operator who moved it is not told of it"


def test_a_handover_tells_the_delegate(start_purchase, users):
    """A handover used to move the task silently; the SLA sweep's reassignment told the new owner."""
    bob, frank = users["bob"], users["frank"]
    case = start_purchase(amount="5000")
    now = timezone.now()
    absence_set(user=bob, starts=now - timedelta(hours=1), ends=now + timedelta(days=3), delegate=frank, actor=bob)
    absence_handover(user=bob, delegate=frank, actor=bob)  # nothing left to move: nobody told twice

    [gained] = notices(frank, case)
    assert "is now yours" in gained.subject and "Acting for bob" in gained.body
    assert not [n for n in notices(bob, case) if n.kind == "notice"], "bob handed it over himself"


def test_receivers_run_in_the_transaction_of_the_change(demo, users):
    """A receiver that fails rolls the change back: a case never moves without its clocks,
    notices and deliveries."""

    def broken(sender, **details):
        raise RuntimeError("receiver down")

    lifecycle.case_started.connect(broken, dispatch_uid="test-broken")
    try:
        with pytest.raises(RuntimeError):
            case_start(
                workflow="purchase-approval",
                data={"amount": "500", "vendor": "ACME", "cost_center": "CC-1"},
                actor=users["alice"],
            )
    finally:
        lifecycle.case_started.disconnect(dispatch_uid="test-broken")
    assert not Case.objects.exists()
    assert not Notification.objects.exists()


def test_every_event_is_emitted_once_per_change(start_purchase, users):
    seen = []

    def record(sender, signal, **details):
        seen.append(next(name for name in NAMES if getattr(lifecycle, name) is signal))

    NAMES = ["case_started", "task_created", "task_assigned", "task_completed", "task_cancelled", "case_closed"]
    for name in NAMES:
        getattr(lifecycle, name).connect(record, dispatch_uid=f"test-{name}")
    try:
        from apps.cases.services import task_complete

        case = start_purchase(amount="5000")
        task_complete(task_id=task_for(case, "Manager approval").pk, actor=users["bob"], decision="approve")
        task_complete(task_id=task_for(case, "Finance approval").pk, actor=users["fiona"], decision="approve")
    finally:
        for name in NAMES:
            getattr(lifecycle, name).disconnect(dispatch_uid=f"test-{name}")
    assert seen == [
        "case_started",
        "task_created",  # manager
        "task_created",  # finance queue
        "task_completed",  # bob
        "task_assigned",  # fiona claims the queue task as she decides
        "task_completed",
        "case_closed",
    ]
