"""Writers at the same moment never fork the chain (PostgreSQL: they queue on the chain's lock)."""

import threading

from django.db import transaction

from apps.audit.chain import verify_database
from apps.audit.models import Action, AuditEvent
from apps.audit.services import audit_batch, audit_record
from apps.cases.services import task_complete
from tests.concurrency import POSTGRES_ONLY, run_together
from tests.conftest import task_for

pytestmark = POSTGRES_ONLY


def test_writers_of_unrelated_events_at_once_extend_one_chain(demo):
    before = AuditEvent.objects.count()
    inside = threading.Barrier(4)

    def write(n):
        def call():
            with transaction.atomic(), audit_batch():
                for i in range(3):
                    audit_record(action=Action.ALERT_SET, reason=f"writer {n} event {i}")
                inside.wait(timeout=10)  # all four hold their batch before any writes it
            return n

        return call

    results = run_together(*(write(n) for n in range(4)))
    assert results == [0, 1, 2, 3], results
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, before + 13))
    report = verify_database()
    assert (report.ok, report.count) == (True, before + 12), report.message


def test_decisions_on_two_cases_at_once_keep_both_case_links(start_purchase, users):
    first, second = start_purchase(amount="5000"), start_purchase(amount="6000")
    results = run_together(
        lambda: task_complete(task_id=task_for(first, "Manager approval").pk, actor=users["bob"], decision="approve"),
        lambda: task_complete(task_id=task_for(second, "Manager approval").pk, actor=users["bob"], decision="approve"),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert verify_database().ok
    for case in (first, second):
        events = list(AuditEvent.objects.filter(case_id=case.pk).order_by("seq"))
        assert [e.case_prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
