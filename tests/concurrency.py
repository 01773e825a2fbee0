"""Helpers for tests that race real database connections (PostgreSQL only)."""

import threading

import pytest
from django.db import connection

# Mark a whole module: transactional, PostgreSQL only (SQLite has one writer at a time).
POSTGRES_ONLY = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no concurrent writers"),
]


def run_together(*calls):
    """Run the calls in threads released by one barrier; return each result (or exception)."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # reported by the test's assertions
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a call hung"
    return results
