"""The evidence log of daily chain heads: a rewrite of the whole tail, hashes and links made
consistent again, no longer matches a head recorded before it; nor does a cut-off tail."""

from datetime import UTC, timedelta

from django.utils import timezone

from apps.audit.chain import chain_heads, event_hash, event_row, verify_rows
from apps.audit.models import AuditEvent, ChainHead
from apps.audit.services import chain_heads_record
from tests.audit.test_audit_verify import audit_verify, sql


def today():
    return timezone.now().astimezone(UTC).date()


def test_the_heads_are_the_last_event_of_each_day(start_purchase):
    start_purchase()
    last = AuditEvent.objects.order_by("-seq").first()
    assert chain_heads(day_from=today(), day_to=today()) == [
        {"day": today().isoformat(), "seq": last.seq, "hash": last.hash}
    ]
    assert chain_heads(day_from=today() - timedelta(days=3), day_to=today() - timedelta(days=1)) == []


def test_only_finished_days_are_recorded_and_never_rewritten(start_purchase):
    start_purchase()
    assert chain_heads_record() == []  # today is not over yet
    ChainHead.objects.create(day=today() - timedelta(days=1), seq=1, hash="a" * 64)
    assert chain_heads_record(day_to=today()) == []
    assert ChainHead.objects.get().hash == "a" * 64


def rewrite_tail(*, from_seq: int) -> None:
    """What someone with the owner's rights does to hide a change: rehash every event after it."""
    previous = AuditEvent.objects.get(seq=from_seq - 1).hash
    cases = {}
    for event in AuditEvent.objects.filter(seq__lt=from_seq).order_by("seq"):
        if event.case_id is not None:
            cases[event.case_id] = event.hash
    for event in AuditEvent.objects.filter(seq__gte=from_seq).order_by("seq"):
        row = event_row(event)
        row["reason"] = row["reason"] if event.seq != from_seq else "rewritten"
        row["prev_hash"] = previous
        if event.case_id is not None:
            row["case_prev_hash"] = cases.get(event.case_id, row["case_prev_hash"])
        row["hash"] = previous = event_hash(row)
        if event.case_id is not None:
            cases[event.case_id] = row["hash"]
        sql(
            "UPDATE audit_auditevent SET reason = %s, prev_hash = %s, case_prev_hash = %s, hash = %s WHERE id = %s",
            [row["reason"], row["prev_hash"], row["case_prev_hash"], row["hash"], event.pk],
        )


def test_a_rewritten_tail_is_caught_by_an_earlier_head(start_purchase):
    start_purchase()
    head = chain_heads(day_from=today(), day_to=today())[0]
    ChainHead.objects.create(day=today(), seq=head["seq"], hash=head["hash"])
    rewrite_tail(from_seq=head["seq"] - 3)
    rows = [event_row(e) for e in AuditEvent.objects.order_by("seq")]
    assert verify_rows(rows, complete=True).ok  # consistent in itself: only the head tells
    code, said = audit_verify()
    assert code == 1
    assert f"event #{head['seq']}" in said and f"the chain head recorded for {today()}" in said


def test_a_cut_off_tail_is_caught_by_an_earlier_head(start_purchase):
    start_purchase()
    head = chain_heads(day_from=today(), day_to=today())[0]
    ChainHead.objects.create(day=today(), seq=head["seq"], hash=head["hash"])
    sql("DELETE FROM audit_auditevent WHERE seq >= %s", [head["seq"] - 2])
    code, said = audit_verify()
    assert code == 1
    assert f"events after #{head['seq'] - 3} are missing" in said
