"""The facts the metrics read from the case row (apps/cases/models.py: returned_count,
cycle_hours, cycle_business_hours), on the constructed history (conftest.py): written by the
services in the save that already records the change, and the same again from the migrations'
backfills for rows written before the columns existed."""

from viewflow.workflow.models import Task

from apps.cases.backfill import case_facts_fill
from apps.cases.models import Case
from apps.sla.backfill import case_cycle_business_hours_fill

FACTS = ("returned_count", "cycle_hours", "cycle_business_hours")


def facts(history) -> dict:
    return {name: tuple(getattr(Case.objects.get(pk=case.pk), f) for f in FACTS) for name, case in history.items()}


# Working hours Mon-Fri 09:00-17:00 Berlin = 08:00-16:00 UTC in November.
EXPECTED = {
    "A": (0, 2.0, 2.0),  # Mon 08:00 -> Mon 10:00
    "F": (0, 1.0, 1.0),  # withdrawn an hour after the start
    "B": (1, 48.0, 16.0),  # returned once; Mon 08:00 -> Wed 08:00 UTC: two working days
    "C": (0, 3.0, 3.0),
    "D": (0, None, None),  # open: no cycle time yet
    "T1": (0, 1.0, None),  # a test case: closed, but no metric reads its business hours
    "T2": (0, None, None),
}


def test_the_services_write_the_facts_as_the_case_changes(history):
    assert facts(history) == EXPECTED


def test_the_facts_ride_on_the_save_that_closes_the_case(history):
    # The End node's save (A approved) writes both cycle times in its own history row; nothing
    # else writes one: the last row of the case's history is the close, with the facts on it.
    last = Case.history.filter(id=history["A"].pk).order_by("-history_id").first()
    assert (last.outcome, last.cycle_hours, last.cycle_business_hours) == ("approved", 2.0, 2.0)
    returned = Case.history.filter(id=history["B"].pk, state="rework").order_by("history_id").first()
    assert returned.returned_count == 1, "the return is counted in the save that records it"


def test_the_backfills_compute_the_same_facts_from_the_rows(history):
    Case.objects.update(returned_count=0, cycle_hours=None, cycle_business_hours=None)

    assert case_facts_fill(Case, Task) == 5  # A, F, B, C closed, and the test case T1
    assert case_cycle_business_hours_fill(Case) == 4  # real closed cases only

    assert facts(history) == EXPECTED
