"""Each audit event's context in business words, the same on the case page and in the API's
history (apps.audit.words): on behalf of whom a delegate acted, the reason code's label."""

from apps.audit.models import Action
from apps.cases.services import task_complete
from tests.conftest import events, task_for


def _words(entry) -> dict:
    return {w["key"]: w["text"] for w in entry["context_words"]}


def test_a_delegates_rejection_names_the_absent_approver_and_the_code(bob_away, start_purchase, users, signed_in):
    frank = users["frank"]
    case = start_purchase(amount="500")
    task = task_for(case, "Manager approval")

    task_complete(task_id=task.pk, actor=frank, decision="reject", reason_code="over_budget", reason="Spent.")

    created = events(case, Action.TASK_CREATED)[0]
    assert created.context["on_behalf_of"] == "bob", "recorded when the task went to the delegate"
    history = signed_in("audrey").get(f"/api/v1/cases/{case.pk}/").json()["history"]
    decided = next(e for e in history if e["action"] == "task.decided")
    assert _words(decided) == {"on_behalf_of": "bob", "reason_code": "Over budget (over_budget)"}
    assert {"key": "on_behalf_of", "label": "On behalf of", "text": "bob", "changes": []} in decided["context_words"]
    made = next(e for e in history if e["action"] == "task.created" and e["step"] == "Manager approval")
    assert _words(made)["on_behalf_of"] == "bob"

    page = signed_in("audrey").get(f"/cases/{case.pk}/").content.decode()
    assert 'frank <span class="muted">on behalf of bob</span>' in page
    assert '<span class="badge muted">Over budget</span> Spent.' in page
    # the routing's own rows: the task was created for frank, on behalf of bob
    assert '<dt>On behalf of</dt><dd data-context="on_behalf_of">bob</dd>' in page


def test_a_handover_records_whom_the_delegate_takes_over_from(start_purchase, users, signed_in):
    from apps.cases.reassignment import absence_handover

    bob, frank = users["bob"], users["frank"]
    case = start_purchase(amount="500")
    absence_handover(user=bob, delegate=frank, actor=bob)

    moved = events(case, Action.TASK_REASSIGNED)[0]
    assert moved.context["on_behalf_of"] == "bob"
    history = signed_in("audrey").get(f"/api/v1/cases/{case.pk}/").json()["history"]
    entry = next(e for e in history if e["action"] == "task.reassigned")
    assert _words(entry) == {"on_behalf_of": "bob", "moved": "from bob to frank"}
    page = signed_in("audrey").get(f"/cases/{case.pk}/").content.decode()
    assert '<dt>Moved</dt><dd data-context="moved">from bob to frank</dd>' in page


def test_events_without_context_have_no_words(start_purchase, signed_in):
    case = start_purchase(amount="500")
    history = signed_in("audrey").get(f"/api/v1/cases/{case.pk}/").json()["history"]
    started = next(e for e in history if e["action"] == "case.started")
    assert started["context_words"] == []
