"""PostgreSQL refuses UPDATE and DELETE on the audit trail's table, whoever asks (the ORM already
refuses both; this stops raw SQL and other clients). Only the table's owner can switch the
trigger off (`ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only`), and what
is changed then still shows in the hash chain. TRUNCATE is left to the owner: Django's `flush`
(test teardown, a fresh demo) empties every table with it, and it empties the evidence log too.

Installed by migration 0009 and, for databases built without migrations (the test suite), after
`migrate`. Idempotent."""

from django.db import DEFAULT_DB_ALIAS, connections

TRIGGER = "audit_event_append_only"
MSG_REFUSED = "audit events are append-only"

INSTALL = f"""
CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MSG_REFUSED}: % of audit event % refused', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END
$$;
DROP TRIGGER IF EXISTS {TRIGGER} ON audit_auditevent;
CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION {TRIGGER}();
"""

REMOVE = f"""
DROP TRIGGER IF EXISTS {TRIGGER} ON audit_auditevent;
DROP FUNCTION IF EXISTS {TRIGGER}();
"""


def install(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(INSTALL)


def remove(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(REMOVE)


def install_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """Install once the table has its chain (migration 0008 on): never under an older schema,
    whose way forward (0008) chains the existing rows with UPDATEs."""
    connection = connections[using]
    if connection.vendor != "postgresql" or "audit_auditevent" not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, "audit_auditevent")}
    if "hash" in columns:
        install(connection)
