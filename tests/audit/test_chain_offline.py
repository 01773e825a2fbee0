"""Offline verification of exported rows (what an evidence pack holds): the whole chain, or the
events of some cases only, checked per case with nothing but the rows."""

import json

import pytest

from apps.audit.chain import GENESIS, event_hash, event_row, verify_rows
from apps.audit.models import AuditEvent
from apps.cases.services import task_complete
from tests.conftest import task_for


def exported(queryset) -> list[dict]:
    """Rows as an export writes them and a verifier reads them back: through JSON Lines."""
    return [json.loads(json.dumps(event_row(event))) for event in queryset.order_by("seq")]


@pytest.fixture
def two_cases(start_purchase, users):
    first = start_purchase(amount="5000")
    second = start_purchase(amount="700")
    task_complete(task_id=task_for(first, "Manager approval").pk, actor=users["bob"], decision="approve")
    task_complete(
        task_id=task_for(second, "Manager approval").pk, actor=users["bob"], decision="reject", reason="over budget"
    )
    return first, second


@pytest.fixture
def pack(two_cases):
    """The events of the first case only, interleaved in the chain with the second's."""
    return exported(AuditEvent.objects.filter(case_id=two_cases[0].pk))


def test_the_whole_exported_chain_verifies(two_cases):
    rows = exported(AuditEvent.objects.all())
    report = verify_rows(rows, complete=True)
    assert report.ok and report.count == len(rows) and report.message == f"chain intact: {len(rows)} events"
    assert rows[0]["prev_hash"] == GENESIS and rows[0]["seq"] == 1


def test_a_pack_of_some_cases_verifies_per_case(pack, two_cases):
    assert len({row["case_id"] for row in pack}) == 1 and len(pack) > 4
    assert verify_rows(pack, complete=False).ok
    # the same rows are not a contiguous run of the global chain
    assert not verify_rows(pack, complete=True).ok


def test_a_changed_event_in_a_pack_is_named(pack):
    pack[3]["data"]["amount"] = "50.00"
    report = verify_rows(pack, complete=False)
    assert (report.ok, report.first_break.seq, report.first_break.how) == (False, pack[3]["seq"], "changed")
    assert f"event #{pack[3]['seq']} (id {pack[3]['id']}) of case {pack[3]['case_id']} was changed" in report.message


def test_a_missing_event_in_a_pack_is_named(pack):
    gone = pack.pop(2)
    report = verify_rows(pack, complete=False)
    assert (report.first_break.how, report.first_break.seq) == ("missing", pack[2]["seq"])
    assert f"An event of case {gone['case_id']} is missing before event #{pack[2]['seq']}" in report.message


def test_a_missing_first_event_of_a_case_is_named(pack):
    pack.pop(0)
    report = verify_rows(pack, complete=False)
    assert (report.first_break.how, report.first_break.seq) == ("missing", pack[0]["seq"])


def test_an_inserted_event_in_a_pack_is_named(pack):
    forged = dict(pack[1], id=None, seq=pack[1]["seq"] + 1, reason="approved by the CFO")
    forged.update(prev_hash=pack[1]["hash"], case_prev_hash=pack[1]["hash"])
    forged["hash"] = event_hash(forged)
    pack.insert(2, forged)
    report = verify_rows(pack, complete=False)
    assert (report.first_break.how, report.first_break.seq) == ("inserted", forged["seq"])


def test_an_inserted_event_with_a_made_up_hash_is_named(pack):
    forged = dict(pack[1], id=None, reason="approved by the CFO", case_prev_hash="f" * 64, hash="e" * 64)
    pack.insert(2, forged)
    assert verify_rows(pack, complete=False).first_break.how == "inserted"


def test_two_swapped_events_in_a_pack_are_named(pack):
    pack[2], pack[3] = pack[3], pack[2]
    report = verify_rows(pack, complete=False)
    assert (report.first_break.how, report.first_break.seq) == ("reordered", pack[2]["seq"])
    assert "was reordered" in report.message


def test_a_changed_event_of_no_case_is_named(two_cases):
    rows = exported(AuditEvent.objects.filter(case_id__isnull=True))
    assert rows, "the demo's definitions and versions are events of no case"
    rows[0]["actor_name"] = "mallory"
    assert verify_rows(rows, complete=False).first_break.how == "changed"
