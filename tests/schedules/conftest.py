from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

BERLIN = ZoneInfo("Europe/Berlin")  # the demo calendar's zone: cron times are read in it

PURCHASE = {"amount": "500", "vendor": "ACME Ltd", "cost_center": "CC-100"}


def berlin(*parts) -> datetime:
    return datetime(*parts, tzinfo=BERLIN)


@pytest.fixture
def make_schedule(demo):
    """A schedule of purchase-approval made by its owner (olivia) at `at`, requested by alice."""
    from apps.definitions.selectors import definition_get
    from apps.schedules.services import schedule_create

    def _make(*, at, cron="0 9 * * *", kind="cron", every_days=None, data=None, name="Daily order"):
        with time_machine.travel(at, tick=False):
            return schedule_create(
                definition=definition_get(key="purchase-approval"),
                actor=demo["olivia"],
                name=name,
                kind=kind,
                cron=cron,
                every_days=every_days,
                data=dict(PURCHASE if data is None else data),
                requester="alice",
            )

    return _make
