"""The builder's route preview runs the engine's routing on a stand-in case: automated steps on
the way are listed and passed, and it stops at the first approval stage."""

import pytest

from apps.builder.replay import route_preview
from apps.definitions.selectors import version_live
from tests.definitions.test_steps_review import FIELDS, KEY, STAGES


@pytest.mark.parametrize(("amount", "steps"), [("500", ["Validate in ERP"]), ("50", [])])
def test_the_route_preview_passes_the_steps_and_stops_at_the_approval(publish, demo, amount, steps):
    publish(KEY, STAGES, FIELDS)
    preview = route_preview(version=version_live(key=KEY), data={"amount": amount}, requester=demo["alice"])
    assert preview["steps"] == steps
    assert preview["state"] == "approval" and preview["approver_labels"] == ["Manager"]
    if steps:
        assert preview["summary"].startswith("Waiting on ERP: Validate in ERP. Then: Approval")
