"""Fixtures of the operations tests: the automated-step fixtures of tests/steps (an invoice
workflow whose ERP is a local HTTP server), and heartbeats."""

import pytest

from apps.core.heartbeats import SLA_SWEEP, STEP_SWEEP, WORKER, heartbeat_beat
from tests.steps.conftest import erp_settings, invoice_flow, run_committed, start_invoice  # noqa: F401


@pytest.fixture
def all_beating(db):
    """The worker and both sweeps ran just now."""

    def _beat(at=None):
        for name in (WORKER, SLA_SWEEP, STEP_SWEEP):
            heartbeat_beat(name=name, at=at)

    _beat()
    return _beat
