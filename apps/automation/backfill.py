"""Filling `Case.had_exception` for cases whose steps failed before the column existed (migration
0002): the rule `fail_for_good` now applies as it happens (a failed attempt is a failure for
good: retries are recorded as `retry`). Kept outside the migration so a test can run it."""

from django.db.models import Exists, OuterRef


def case_had_exception_fill(case_model, attempt_model) -> int:
    """Mark every case with a failed attempt of one of its steps; returns how many were marked."""
    failed = attempt_model.objects.filter(outcome="failed", run__case_id=OuterRef("pk"))
    return case_model.objects.filter(Exists(failed), had_exception=False).update(had_exception=True)
