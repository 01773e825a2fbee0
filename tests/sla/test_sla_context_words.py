"""The SLA level that fired and what an auto-close waited for, in words on the case page and in
the API's history (apps.audit.words)."""

import time_machine

from apps.sla.sweeper import sla_sweep
from tests.conftest import reload
from tests.sla.test_sweep import ESCALATE, START, berlin


def _entry(history, action):
    return next(e for e in history if e["action"] == action)


def _words(entry) -> dict:
    return {w["key"]: w["text"] for w in entry["context_words"]}


def test_an_escalation_says_which_level_fired_and_when_it_was_due(start_purchase, signed_in):
    with time_machine.travel(START, tick=False):
        case = start_purchase(amount="5000")
    sla_sweep(at=ESCALATE)

    history = signed_in("audrey").get(f"/api/v1/cases/{case.pk}/").json()["history"]
    words = _words(_entry(history, "sla.escalated"))
    assert words["sla_level"] == "3 of the approval SLA: escalate to the manager after 48 business hours"
    assert words["due"] == "4 Jan 2027 09:00 UTC"  # the API writes the installation's zone, whoever asks
    assert (
        _words(_entry(history, "sla.breached"))["sla_level"]
        == "2 of the approval SLA: mark as breached after 48 business hours"
    )

    page = signed_in("audrey").get(f"/cases/{case.pk}/").content.decode()
    assert (
        '<dt>SLA level</dt><dd data-context="sla_level">3 of the approval SLA: escalate to the manager after 48 '
        "business hours</dd>" in page
    )
    assert '<dt>Was due</dt><dd data-context="due">4 Jan 2027 10:00 CET</dd>' in page  # audrey's zone


def test_an_auto_close_says_what_it_waited_for_since_when(start_purchase, signed_in):
    with time_machine.travel(START, tick=False):
        case = start_purchase(amount="5000", cost_center=None)
    sla_sweep(at=berlin(2027, 1, 8, 10, 0))
    assert reload(case).outcome == "auto_closed"

    history = signed_in("audrey").get(f"/api/v1/cases/{case.pk}/").json()["history"]
    words = _words(_entry(history, "case.auto_closed"))
    assert words["waited_for"] == "Cost center", "the field's label, not its name"
    assert words["waiting_since"] == "23 Dec 2026 09:00 UTC"
    assert words["sla_level"].startswith("2 of the requester's rework SLA: auto-close after 80 business hours")

    page = signed_in("audrey").get(f"/cases/{case.pk}/").content.decode()
    assert '<dt>Waited for</dt><dd data-context="waited_for">Cost center</dd>' in page
    assert '<dt>Waiting since</dt><dd data-context="waiting_since">23 Dec 2026 10:00 CET</dd>' in page
