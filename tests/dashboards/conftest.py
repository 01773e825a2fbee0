"""The dashboards are drawn over the metrics' constructed history (tests/metrics/conftest.py)."""

from tests.metrics.conftest import KEY, NOW, at, history

__all__ = ["KEY", "NOW", "at", "history"]
