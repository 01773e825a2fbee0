"""`manage.py audit_verify` names the first event that breaks the chain and how, after someone
with the table owner's rights changed, deleted, inserted or swapped rows (SQLite and PostgreSQL)."""

import io
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import connection

from apps.audit.chain import event_hash, event_row
from apps.audit.models import AuditEvent
from apps.audit.triggers import TRIGGER
from apps.cases.services import task_complete
from tests.conftest import task_for


def audit_verify(*args) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit_verify", *args, stdout=out, stderr=err)
    except SystemExit as exit:
        return exit.code, err.getvalue()
    return 0, out.getvalue()


@contextmanager
def as_table_owner():
    """What it takes to tamper on PostgreSQL: the owner switches the append-only trigger off."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # NOTE: ALTER TABLE waits for no deferred foreign-key check of this transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {TRIGGER}")
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {TRIGGER}")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def sql(statement, params=()):
    with as_table_owner(), connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def trail(start_purchase, users):
    """A decided purchase case: the demo's events and the case's, about a dozen in all."""
    case = start_purchase(amount="5000")
    task_complete(task_id=task_for(case, "Manager approval").pk, actor=users["bob"], decision="approve", comment="ok")
    return case


def middle(case) -> AuditEvent:
    """An event of the case with events after it."""
    return AuditEvent.objects.filter(case_id=case.pk).order_by("seq")[2]


def test_an_untouched_trail_is_intact(trail):
    code, said = audit_verify()
    assert code == 0
    assert said.strip() == f"chain intact: {AuditEvent.objects.count()} events"


def test_a_changed_field_is_named(trail):
    event = middle(trail)
    sql("UPDATE audit_auditevent SET actor_name = %s, comment = %s WHERE id = %s", ["mallory", "fine", event.pk])
    code, said = audit_verify()
    assert code == 1
    assert f"event #{event.seq} (id {event.pk}) was changed" in said


def test_a_deleted_row_is_named(trail):
    event = middle(trail)
    sql("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    code, said = audit_verify()
    assert code == 1
    assert f"is missing (#{event.seq}) before event #{event.seq + 1}" in said


def test_an_inserted_row_is_named_even_with_a_valid_hash_and_renumbered_successors(trail):
    """The forger links the row to its predecessor, hashes it right and shifts the rest up."""
    before = middle(trail)
    sql("UPDATE audit_auditevent SET seq = seq + 1000000 WHERE seq > %s", [before.seq])
    sql("UPDATE audit_auditevent SET seq = seq - 999999 WHERE seq > 1000000")
    forged = event_row(before)
    forged.update(id=None, seq=before.seq + 1, action="task.decided", reason="approved by the CFO")
    forged.update(prev_hash=before.hash, case_prev_hash=before.hash)
    forged["hash"] = event_hash(forged)
    values = {k: v for k, v in forged.items() if k not in ("id", "at")}
    AuditEvent.objects.bulk_create([AuditEvent(at=before.at, **values)])
    code, said = audit_verify()
    assert code == 1
    assert f"event #{before.seq + 1} (id {AuditEvent.objects.get(seq=before.seq + 1).pk}) was inserted" in said


def test_two_swapped_rows_are_named(trail):
    first = middle(trail)
    second = AuditEvent.objects.get(seq=first.seq + 1)
    sql("UPDATE audit_auditevent SET seq = -1 WHERE id = %s", [first.pk])
    sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [first.seq, second.pk])
    sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [second.seq, first.pk])
    code, said = audit_verify()
    assert code == 1
    assert f"event #{first.seq} (id {second.pk}) was reordered" in said


def test_a_range_checks_its_events_against_the_one_before(trail):
    event = middle(trail)
    sql("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    following = AuditEvent.objects.get(seq=event.seq + 1)
    code, said = audit_verify("--from", following.at.isoformat())
    assert code == 1 and "is missing" in said
    code, said = audit_verify("--to", "2000-01-01")
    assert code == 0 and said.startswith("chain intact: 0 events (events written from the start until 2000-01-02")


def test_a_bad_moment_is_refused_by_name(trail):
    with pytest.raises(Exception, match="--from: 'yesterday' is not an ISO-8601"):
        audit_verify("--from", "yesterday")


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgres_refuses_update_and_delete_on_the_audit_table(trail):
    from django.db import ProgrammingError, transaction

    event = middle(trail)
    for statement in (
        "UPDATE audit_auditevent SET reason = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with pytest.raises(ProgrammingError, match="audit events are append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).reason == event.reason
    assert audit_verify()[0] == 0
