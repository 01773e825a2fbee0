"""What the SLA clocks keep for the metrics (apps/sla/models.py: stage, counted_at, result,
last_fired_at), on the constructed history (conftest.py): written when a case closes and when the
sweeper marks a breach, and the same again when the migration's backfill computes them from the
rows of clocks written before these fields existed."""

from apps.sla.backfill import clock_metric_fields_fill
from apps.sla.models import SlaClock

from .conftest import MON, TUE, at

FIELDS = ("stage", "counted_at", "result", "last_fired_at")


def clocks_of(case):
    return [
        {name: getattr(clock, name) for name in FIELDS}
        for clock in SlaClock.objects.filter(case=case).order_by("started", "pk")
    ]


def test_a_closed_case_has_its_clocks_settled_and_an_open_one_not(history):
    # A: approved Mon 10:00 (due Mon 12:00 UTC, 4 business hours from 09:00 Berlin): met then.
    assert clocks_of(history["A"]) == [
        {"stage": "review", "counted_at": at(MON, 10), "result": "met", "last_fired_at": None}
    ]
    # F: withdrawn Mon 09:00, its approval cancelled then: met at the withdrawal.
    assert clocks_of(history["F"])[0]["counted_at"] == at(MON, 9)
    # D: still waiting, in time: nothing counted yet.
    assert clocks_of(history["D"]) == [{"stage": "review", "counted_at": None, "result": "", "last_fired_at": None}]


def test_the_sweeper_marks_a_breach_and_a_late_decision_breaches_at_the_due_moment(history):
    first, second = clocks_of(history["B"])
    # Swept Mon 15:00: the reminder and the breach fired; counted at the mark.
    assert (first["result"], first["counted_at"]) == ("breached", at(MON, 15))
    assert first["last_fired_at"] == at(MON, 12)  # the breach level's moment (due), the last fired
    # Resubmitted Tue 09:00 (due Tue 13:00 UTC), rejected Wed 08:00 without a sweep: breached at due.
    assert (second["result"], second["counted_at"], second["last_fired_at"]) == ("breached", at(TUE, 13), None)


def test_the_backfill_computes_the_same_fields_from_the_rows(history):
    before = {name: clocks_of(history[name]) for name in "ABCDF"}
    SlaClock.objects.update(stage="", counted_at=None, result="", last_fired_at=None)

    assert clock_metric_fields_fill(SlaClock) == SlaClock.objects.count()

    assert {name: clocks_of(history[name]) for name in "ABCDF"} == before
