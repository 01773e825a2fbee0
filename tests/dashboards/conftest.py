"""The dashboards are drawn over the metrics' constructed history (tests/metrics/conftest.py)."""

from tests.metrics.conftest import KEY, NOW, at, history  # noqa: F401 - the fixture, shared

__all__ = ["KEY", "NOW", "at", "history"]
