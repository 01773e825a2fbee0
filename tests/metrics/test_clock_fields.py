"""What the SLA clocks keep for the metrics (apps/sla/models.py: stage, counted_at, result,
last_fired_at), on the constructed history (conftest.py): written when a case closes and when the
sweeper marks a breach, and the same again when the migration's backfill computes them from the
rows of clocks written before these fields existed."""

import time_machine

from apps.cases.services import task_complete
from apps.sla.backfill import clock_ended_tasks_settle, clock_metric_fields_fill, clock_workflow_copy
from apps.sla.models import SlaClock
from tests.conftest import open_tasks

from .conftest import KEY, MON, TUE, at

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


def test_each_clock_carries_its_cases_workflow_and_version_and_the_backfill_agrees(history):
    # The dashboards read the clocks of a workflow without joining their cases: the copy must be right,
    # across the version change (A, B, F on version 1; C, D on version 2); the test cases start none.
    copied = {
        name: sorted(set(SlaClock.objects.filter(case=history[name]).values_list("workflow_key", "version_number")))
        for name in "ABCDF"
    }
    assert copied == {name: [(KEY, 2 if name in "CD" else 1)] for name in "ABCDF"}
    assert not SlaClock.objects.filter(case__is_test=True).exists()
    before = sorted(SlaClock.objects.values_list("pk", "workflow_key", "version_number"))
    SlaClock.objects.update(workflow_key="", version_number=0)  # as before migration 0008

    assert clock_workflow_copy(SlaClock) == len(before)

    assert sorted(SlaClock.objects.values_list("pk", "workflow_key", "version_number")) == before


TWO_STAGES = {
    "fields": [{"name": "amount", "type": "decimal", "label": "Amount", "required": True}],
    "stages": [
        {
            "key": "review",
            "name": "Review",
            "policy": "any",
            "approvers": [
                {"key": "manager", "label": "Manager approval", "type": "manager"},
                {"key": "finance", "label": "Finance approval", "type": "role", "role": "finance"},
            ],
        },
        {"key": "check", "name": "Check", "approvers": [{"key": "manager", "label": "Check", "type": "manager"}]},
    ],
    "sla": {"approval": {"target_hours": 4, "business": True, "levels": [{"after_hours": 2, "action": "remind"}]}},
}


def _two_stage_case(demo):
    from apps.cases.services import case_start
    from apps.definitions.services import definition_create, version_publish

    olivia = demo["olivia"]
    with time_machine.travel(at(MON, 7), tick=False):
        version_publish(
            version=definition_create(key="two-stages", name="Two stages", spec=TWO_STAGES, actor=olivia), actor=olivia
        )
    with time_machine.travel(at(MON, 8), tick=False):
        case, _ = case_start(workflow="two-stages", data={"amount": "10"}, actor=demo["alice"])
    return case


def test_a_decided_task_and_the_one_its_stage_no_longer_needs_are_settled_while_the_case_stays_open(demo):
    case = _two_stage_case(demo)
    with time_machine.travel(at(MON, 10), tick=False):
        (manager_task,) = [t for t in open_tasks(case) if t.owner_id == demo["bob"].pk]
        task_complete(task_id=manager_task.pk, actor=demo["bob"], decision="approve")

    case.refresh_from_db()
    assert case.is_open  # waiting for the "check" stage now
    # bob decided Mon 10:00, in time (due 12:00 UTC): met then; finance's task, cancelled when
    # bob's "any" approval settled the stage, ends at the same moment, met.
    review = SlaClock.objects.filter(case=case, stage="review").order_by("pk")
    assert [(c.counted_at, c.result) for c in review] == [(at(MON, 10), "met"), (at(MON, 10), "met")]
    assert SlaClock.objects.get(case=case, stage="check").counted_at is None  # still running


def test_a_task_decided_past_its_due_moment_is_settled_breached_at_that_moment(demo):
    case = _two_stage_case(demo)
    with time_machine.travel(at(MON, 15), tick=False):  # no sweep ran: due Mon 12:00 UTC
        (manager_task,) = [t for t in open_tasks(case) if t.owner_id == demo["bob"].pk]
        task_complete(task_id=manager_task.pk, actor=demo["bob"], decision="approve")

    decided = SlaClock.objects.get(case=case, task_id=manager_task.pk)
    assert (decided.counted_at, decided.result) == (at(MON, 12), "breached")


def test_the_migration_settles_the_clocks_of_tasks_that_ended_in_open_cases(demo):
    case = _two_stage_case(demo)
    with time_machine.travel(at(MON, 15), tick=False):
        (manager_task,) = [t for t in open_tasks(case) if t.owner_id == demo["bob"].pk]
        task_complete(task_id=manager_task.pk, actor=demo["bob"], decision="approve")
    settled = {c.pk: (c.counted_at, c.result) for c in SlaClock.objects.filter(case=case)}
    SlaClock.objects.filter(case=case, stage="review").update(counted_at=None, result="")  # as before 0007

    assert clock_ended_tasks_settle(SlaClock) == 2

    # finance's cancelled task ended at 15:00 too: past due, breached at the due moment.
    assert {c.pk: (c.counted_at, c.result) for c in SlaClock.objects.filter(case=case)} == settled
