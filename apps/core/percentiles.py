"""Continuous percentiles, the same on every database.

`percentile` is PostgreSQL's `percentile_cont` (and numpy's default) in Python: linear
interpolation between the two nearest ranks, so p50 of [1, 2, 3, 4] is 2.5. On PostgreSQL the
metrics ask the database instead (`PercentileCont`, `hours_between`), so a percentile over many
rows reads two numbers, not the rows; elsewhere (SQLite: development and tests) they read the
values and call `percentile`. Both round to two decimals.
"""

from django.db import connections
from django.db.models import Aggregate, DurationField, ExpressionWrapper, F, FloatField
from django.db.models.functions import Extract


def percentile(values, q: float) -> float | None:
    """The q-th percentile (0..1) of `values`, interpolated; None if there are none."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return round(ordered[below] + (ordered[above] - ordered[below]) * (position - below), 2)


class PercentileCont(Aggregate):
    """percentile_cont(q) WITHIN GROUP (ORDER BY expression): PostgreSQL only."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def hours_between(start: str, end: str):
    """An expression: hours from field `start` to field `end` (PostgreSQL)."""
    duration = ExpressionWrapper(F(end) - F(start), output_field=DurationField())
    return Extract(duration, "epoch") / 3600.0


def in_database(queryset) -> bool:
    """Whether percentiles of this queryset are computed by its database."""
    return connections[queryset.db].vendor == "postgresql"


def rounded(value) -> float | None:
    return None if value is None else round(float(value), 2)
