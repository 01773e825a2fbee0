"""Set-ups several inbox tests start from."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.cases.services import task_complete
from apps.org.services import absence_set
from tests.conftest import task_for


@pytest.fixture
def over_budget_rejection(start_purchase, users):
    """alice's 5,000 purchase, rejected by bob (her manager) with the code over_budget and a reason."""
    case = start_purchase(amount="5000")
    task_complete(
        task_id=task_for(case, "Manager approval").pk,
        actor=users["bob"],
        decision="reject",
        reason_code="over_budget",
        reason="Q3 budget is spent.",
    )
    return case


@pytest.fixture
def bob_away(users):
    """bob is away from an hour ago for two days; frank decides for him meanwhile."""
    bob = users["bob"]
    now = timezone.now()
    return absence_set(
        user=bob, starts=now - timedelta(hours=1), ends=now + timedelta(days=2), delegate=users["frank"], actor=bob
    )
