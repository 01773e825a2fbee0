"""The field-level history reads in business words and says why each change happened (issue 12)."""

import re

from apps.cases.models import Case
from apps.cases.services import case_withdraw, task_complete
from tests.conftest import task_for


def _cards(page: str) -> list[str]:
    return re.findall(r'<section class="card">(.*?)</section>', page, flags=re.S)


def _rows(card: str) -> list[tuple[str, str, str]]:
    return re.findall(r'<tr><td>(.*?)</td><td class="muted">(.*?)</td><td>(.*?)</td></tr>', card)


def _why(card: str) -> str:
    found = re.search(r'<p class="why"><span class="muted">Why:</span> (.*?)</p>', card)
    return found.group(1) if found else ""


def _returned_resubmitted_approved(start_purchase, users):
    case = start_purchase(amount="5000")
    bob = users["bob"]
    task_complete(task_id=task_for(case, "Manager approval").pk, actor=bob, decision="return", reason="Too expensive")
    task_complete(
        task_id=task_for(case, "Rework: complete the request").pk,
        actor=users["alice"],
        decision="submit",
        data={"amount": "4800", "cost_center": "CC-200"},
        comment="added cost center",
    )
    task_complete(task_id=task_for(case, "Manager approval").pk, actor=bob, decision="approve")
    task_complete(task_id=task_for(case, "Finance approval").pk, actor=users["fiona"], decision="approve")
    return case


def test_each_change_shows_labels_business_words_and_why(start_purchase, users, signed_in):
    case = _returned_resubmitted_approved(start_purchase, users)

    started, returned, resubmitted, approved = _cards(
        signed_in("audrey").get(f"/cases/{case.pk}/history/").content.decode()
    )

    assert _why(started) == "Case started by alice"
    assert ("Amount", "—", "5,000") in _rows(started) and ("Cost center", "—", "CC-100") in _rows(started)
    assert ("State", "—", "Waiting for approval") in _rows(started) and ("Status", "—", "Open") in _rows(started)
    assert _why(returned) == "Returned by bob: Too expensive"
    assert _rows(returned) == [("State", "Waiting for approval", "Returned to requester")]
    assert _why(resubmitted) == "Resubmitted by alice: added cost center"
    assert _rows(resubmitted) == [
        ("Amount", "5,000", "4,800"),
        ("Cost center", "CC-100", "CC-200"),
        ("State", "Returned to requester", "Waiting for approval"),
    ]
    assert _why(approved) == "Approved by fiona"
    assert _rows(approved) == [
        ("State", "Waiting for approval", "Approved"),
        ("Outcome", "—", "Approved"),
        ("Status", "Open", "Closed"),
    ]


def test_no_internal_value_or_key_is_shown(start_purchase, users, signed_in):
    case = _returned_resubmitted_approved(start_purchase, users)
    page = signed_in("audrey").get(f"/cases/{case.pk}/history/").content.decode()
    cells = {cell for card in _cards(page) for row in _rows(card) for cell in row}
    assert not cells & {"cost_center", "state", "status", "rework", "approval", "approved", "NEW", "DONE", "5000.00"}


def test_history_rows_written_before_reasons_were_kept_take_them_from_the_audit_trail(start_purchase, users, signed_in):
    case = _returned_resubmitted_approved(start_purchase, users)
    Case.history.filter(id=case.pk).update(history_change_reason=None)  # as rows written before this change

    cards = _cards(signed_in("audrey").get(f"/cases/{case.pk}/history/").content.decode())

    assert [_why(card) for card in cards] == [
        "Case started by alice",
        "Returned by bob: Too expensive",
        "Resubmitted by alice: added cost center",
        "Approved by fiona",
    ]


def test_a_withdrawal_says_who_and_why(start_purchase, users, signed_in):
    case = start_purchase(amount="5000")
    case_withdraw(case_id=case.pk, actor=users["alice"], reason="Bought it elsewhere.")

    withdrawn = _cards(signed_in("audrey").get(f"/cases/{case.pk}/history/").content.decode())[-1]

    assert _why(withdrawn) == "Case withdrawn by alice: Bought it elsewhere."
    assert ("Status", "Open", "Closed early") in _rows(withdrawn)
    assert ("Outcome", "—", "Withdrawn") in _rows(withdrawn)
