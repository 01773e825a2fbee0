"""The demo seed, replayed: seeding through the real services costs about 850 queries (every
person, role and grant, seven templates validated and published, their audit chain), and most of
the suite's tests start from it.

The first `demo` of a test process seeds through `seed_demo_data()` and records the rows it added,
keyed by the database's fingerprint before seeding (every table's row count and largest key).
A later test whose database has the same fingerprint gets exactly those rows back, one INSERT per
table: the same users, grants, versions and audit events, with the same keys and hashes. Anything
else seeds through the services as before:
- a transactional test (no test transaction around it): the services' on-commit effects run there;
- a test travelling in time (time_machine): the rows must carry its clock;
- a database in another state (a test wrote rows first, or a flush renumbered the content types).
"""

from datetime import date, time
from decimal import Decimal

from django.apps import apps
from django.db import connection, transaction
from time_machine import escape_hatch

from apps.demo.management.commands.seed_demo import seed_demo_data

INTEGER_KEYS = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
}
SEQUENCED_KEYS = {"AutoField", "BigAutoField", "SmallAutoField"}
REMEMBERED = 8  # fingerprints kept per process (a flush in a transactional test makes a new one)

_tables: dict[str, tuple[str, bool, bool]] = {}  # table -> (key column, integer key, sequenced key)
_seeds: dict[tuple, list | None] = {}  # fingerprint -> [(table, columns, rows)], None: cannot replay


def demo_seed() -> None:
    """seed_demo_data(), replayed from this process's first seed when the database allows it."""
    if escape_hatch.is_travelling() or not connection.in_atomic_block:
        seed_demo_data()
        return
    fingerprint = _fingerprint()
    if fingerprint in _seeds:
        rows = _seeds[fingerprint]
        if rows is None:
            seed_demo_data()
        else:
            _replay(rows)
        return
    before = _read()
    seed_demo_data()
    if len(_seeds) >= REMEMBERED:
        _seeds.pop(next(iter(_seeds)))
    _seeds[fingerprint] = _added(before, _read())


def _known_tables() -> dict[str, tuple[str, bool, bool]]:
    if not _tables:
        existing = set(connection.introspection.table_names())
        for model in apps.get_models(include_auto_created=True):
            meta = model._meta
            if not meta.managed or meta.proxy or meta.db_table not in existing or meta.db_table in _tables:
                continue
            key = meta.pk
            target = key
            while target.is_relation:
                target = target.target_field
            _tables[meta.db_table] = (
                key.column,
                target.get_internal_type() in INTEGER_KEYS,
                key.get_internal_type() in SEQUENCED_KEYS,
            )
    return _tables


def _fingerprint() -> tuple:
    qn = connection.ops.quote_name
    parts = [
        f"SELECT {index}, COUNT(*), {f'MAX({qn(key)})' if integer else 'NULL'} FROM {qn(table)}"
        for index, (table, (key, integer, _)) in enumerate(sorted(_known_tables().items()))
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return tuple(sorted(cursor.fetchall()))


def _read() -> dict[str, tuple[list[str], dict]]:
    qn = connection.ops.quote_name
    found = {}
    with connection.cursor() as cursor:
        for table, (key, _, _) in _known_tables().items():
            cursor.execute(f"SELECT * FROM {qn(table)}")
            columns = [column[0] for column in cursor.description]
            at = columns.index(key)
            found[table] = (columns, {row[at]: row for row in cursor.fetchall()})
    return found


def _added(before: dict, after: dict) -> list | None:
    """The rows the seed inserted; None when it changed or deleted a row (then it cannot be replayed)."""
    added = []
    for table, (columns, rows) in after.items():
        old = before[table][1]
        if any(key not in rows or rows[key] != row for key, row in old.items()):
            return None
        new = [_storable(row) for key, row in rows.items() if key not in old]
        if new:
            added.append((table, columns, new))
    return added


def _storable(row: tuple) -> tuple:
    """SQLite's reads give dates, times and decimals back as objects it cannot bind again: its text."""
    if connection.vendor != "sqlite":
        return row
    return tuple(str(value) if isinstance(value, date | time | Decimal) else value for value in row)


def _replay(added: list) -> None:
    qn = connection.ops.quote_name
    # Foreign keys are deferred to the end of the transaction, so the tables' order does not matter.
    with transaction.atomic(), connection.cursor() as cursor:
        for table, columns, rows in added:
            marks = ", ".join(["%s"] * len(columns))
            names = ", ".join(qn(column) for column in columns)
            cursor.executemany(f"INSERT INTO {qn(table)} ({names}) VALUES ({marks})", rows)
        if connection.vendor == "postgresql":
            # NOTE: the replayed keys came from the sequences earlier; never move one backwards.
            resets = [
                f"setval(pg_get_serial_sequence('{qn(table)}', '{key}'), GREATEST("
                f"(SELECT MAX({qn(key)}) FROM {qn(table)}), "
                f"(SELECT last_value FROM {_sequence(table, key)})))"
                for table, _, _ in added
                for key, _, sequenced in [_known_tables()[table]]
                if sequenced
            ]
            if resets:
                cursor.execute("SELECT " + ", ".join(resets))


_sequences: dict[str, str] = {}


def _sequence(table: str, key: str) -> str:
    if table not in _sequences:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [connection.ops.quote_name(table), key])
            _sequences[table] = cursor.fetchone()[0]
    return _sequences[table]
