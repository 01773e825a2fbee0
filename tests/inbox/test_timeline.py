"""The case timeline: one entry per routing, its audit rows kept behind it; every decision,
resubmission and claim still an entry of its own (issue 12)."""

import re
from datetime import timedelta

from django.utils import timezone

from apps.audit.models import Action, AuditEvent
from apps.cases.services import case_withdraw, task_complete
from apps.definitions.conditions import Words
from apps.inbox.timeline import timeline_entries
from tests.conftest import events, task_for

T0 = timezone.now()


def event(action, *, actor=None, step="", reason="", context=None, seconds=0):
    """An audit row as the trail holds it (actor None: the system)."""
    return AuditEvent(
        at=T0 + timedelta(seconds=seconds),
        actor_id=None if actor is None else 1,
        actor_name=actor or "SYSTEM",
        action=action,
        step=step,
        reason=reason,
        context=context or {},
    )


ROUTE = {
    "outcome": "approval",
    "need": 2,
    "rules": [
        {
            "rule": "Finance approval",
            "condition": {"all": [{"field": "amount", "op": ">=", "value": "1000"}]},
            "result": True,
            "inputs": {"amount": "5000.00"},
        }
    ],
    "approvers": [
        {"label": "Manager approval", "why": "always"},
        {"label": "Finance approval", "why": "amount 5000.00 >= 1000"},
    ],
}


def test_a_routing_and_the_rows_it_wrote_become_one_entry():
    trail = [
        event(Action.CASE_STARTED, actor="alice"),
        event(Action.CASE_ROUTED, step="approval", reason="Approval: ...", context=ROUTE),
        event(Action.TASK_CREATED, step="Manager approval", reason="always", context={"assignee": "bob"}),
        event(
            Action.TASK_CREATED, step="Finance approval", reason="amount 5000.00 >= 1000", context={"role": "finance"}
        ),
        event(Action.TASK_DECIDED, actor="bob", step="Manager approval", context={"decision": "approve"}),
    ]

    words = Words(labels={"amount": "Amount"}, numeric=frozenset({"amount"}))  # the version's (Spec.words)
    started, routed, decided = timeline_entries(trail, words=words)

    assert routed.what == "Routed to Manager approval (bob) and Finance approval (finance queue)"
    assert routed.reason == "Manager approval: always; Finance approval: Amount 5,000 >= 1,000. 2 of 2 must approve."
    assert [d.what for d in routed.details] == ["Case routed", "Task created", "Task created"]
    assert [d.reason for d in routed.details] == ["Approval: ...", "always", "amount 5000.00 >= 1000"]
    assert (started.what, started.details) == ("Case started", [])
    assert (decided.actor_name, decided.what, decided.decision) == ("bob", "Decision recorded", "approve")


def test_the_approvals_a_settled_stage_cancels_go_with_the_routing_that_follows():
    rejected = {"decision": "reject", "reason_code": "over_budget"}
    trail = [
        event(Action.TASK_DECIDED, actor="bob", step="Manager approval", reason="No", context=rejected),
        event(Action.TASK_CANCELLED, step="Finance approval", reason="The stage was settled."),
        event(
            Action.CASE_ROUTED,
            reason="Rejected by Manager approval: No",
            context={"outcome": "rejected", "reason_code": "over_budget"},
        ),
        event(Action.CASE_CLOSED, step="rejected", context={"outcome": "rejected", "reason_code": "over_budget"}),
    ]

    decided, closed = timeline_entries(trail, reason_labels={"over_budget": "Over budget"})

    assert (decided.decision, decided.reason, decided.reason_label) == ("reject", "No", "Over budget")
    assert closed.reason_label == "Over budget", "the code stays on the entry that closed the case"
    assert (closed.what, closed.decision, closed.reason) == (
        "Case closed",
        "rejected",
        "Rejected by Manager approval: No",
    )
    assert closed.no_longer_needed == ["Finance approval"]
    assert [d.what for d in closed.details] == ["Task cancelled", "Case routed", "Case closed"]


def test_rows_no_routing_wrote_stay_entries_of_their_own():
    trail = [
        event(Action.TASK_CANCELLED, actor="alice", step="Manager approval", reason="Withdrawn."),
        event(Action.TASK_CANCELLED, step="Finance approval", reason="No activity.", seconds=1),
        event(Action.CASE_AUTO_CLOSED, reason="No activity.", seconds=1),
        event(Action.CASE_ROUTED, reason="Waiting on ERP.", context={"outcome": "waiting"}, seconds=2),
        event(Action.STEP_STARTED, step="Validate in ERP", seconds=2),
        event(Action.TASK_CLAIMED, actor="fiona", step="Finance approval", seconds=3),
    ]

    entries = timeline_entries(trail)

    assert [e.what for e in entries] == [
        "Task cancelled",
        "Task cancelled",
        "Case auto-closed",
        "Case routed",
        "Automated step started",
        "Task claimed",
    ]
    assert all(e.details == [] for e in entries)
    assert entries[3].reason == "Waiting on ERP."


def _timeline_rows(page: str) -> list[str]:
    table = page[page.index('<table class="timeline"') :]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    return re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)


def test_a_returned_resubmitted_and_approved_case_reads_as_what_happened(start_purchase, users, signed_in):
    case = start_purchase(amount="5000")
    bob, alice, fiona = users["bob"], users["alice"], users["fiona"]
    task_complete(task_id=task_for(case, "Manager approval").pk, actor=bob, decision="return", reason="Too expensive")
    task_complete(
        task_id=task_for(case, "Rework: complete the request").pk,
        actor=alice,
        decision="submit",
        data={"cost_center": "CC-200"},
        comment="Added the cost center.",
    )
    task_complete(task_id=task_for(case, "Manager approval").pk, actor=bob, decision="approve", reason="Fine now.")
    task_complete(task_id=task_for(case, "Finance approval").pk, actor=fiona, decision="approve")

    rows = _timeline_rows(signed_in("audrey").get(f"/cases/{case.pk}/").content.decode())

    assert len(events(case)) == 18
    assert len(rows) == 10, "one entry per thing that happened, not one per audit row"
    whats = [re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)[2] for row in rows]
    assert whats == [
        "Case started",
        "Routed to Manager approval (bob) and Finance approval (finance queue)",
        "Decision recorded: <strong>Return</strong>",
        "Returned to requester",
        "Resubmitted",
        "Routed to Manager approval (bob) and Finance approval (finance queue)",
        "Decision recorded: <strong>Approve</strong>",
        "Task claimed",
        "Decision recorded: <strong>Approve</strong>",
        "Case closed: <strong>Approved</strong>",
    ]
    assert "Finance approval: Amount 5,000 &gt;= 1,000. 2 of 2 must approve." in rows[1]
    assert "Too expensive" in rows[2] and "“Added the cost center.”" in rows[4] and "Fine now." in rows[6]
    assert "No longer needed: Finance approval" in rows[3]
    # The rows behind a routing, as the trail holds them, one click away (no script needed).
    assert '<details class="timeline-detail"><summary>3 audit rows</summary>' in rows[1]
    assert "Task created · Finance approval — Amount 5,000 &gt;= 1,000" in rows[1]
    assert "Task cancelled · Finance approval — The stage was settled before this approval was needed." in rows[3]
    assert "Every applicable approval stage approved." in rows[9]


def test_a_withdrawal_and_its_cancelled_approvals_stay_visible(start_purchase, users, signed_in):
    case = start_purchase(amount="5000")
    case_withdraw(case_id=case.pk, actor=users["alice"], reason="Bought it elsewhere.")

    rows = _timeline_rows(signed_in("alice").get(f"/cases/{case.pk}/").content.decode())

    *_, first, second, withdrawn = rows
    for row in (first, second):
        assert "<td>alice</td><td>Task cancelled</td>" in row and "The requester withdrew the case." in row
    assert {"Manager approval", "Finance approval"} == {
        label for label in ("Manager approval", "Finance approval") for row in (first, second) if label in row
    }
    assert "Case withdrawn" in withdrawn and "Bought it elsewhere." in withdrawn
