"""A schedule starts each period's case once, through the engine, also with two runners or after
the clock jumps over several periods (those are started late and marked)."""

import pytest

from apps.audit.models import Action, AuditEvent
from apps.cases.models import Case
from apps.schedules import periods
from apps.schedules.models import ScheduleRun
from apps.schedules.selectors import run_for_case, run_is_late, schedule_get
from apps.schedules.services import schedule_run_due, schedule_update, schedules_run_due

from .conftest import berlin

pytestmark = pytest.mark.django_db


def test_a_due_period_starts_one_case_as_the_requester_with_the_prefilled_data(make_schedule, users):
    schedule = make_schedule(at=berlin(2026, 12, 1, 8, 0))
    assert schedule.next_due_at == berlin(2026, 12, 1, 9, 0)
    assert schedules_run_due(at=berlin(2026, 12, 1, 8, 59)) == []

    [run] = schedules_run_due(at=berlin(2026, 12, 1, 9, 1))

    case = Case.objects.get(pk=run.case_id)
    assert case.requester == users["alice"] and case.workflow_key == "purchase-approval"
    assert case.data["vendor"] == "ACME Ltd" and str(case.data["amount"]) in {"500", "500.00"}
    assert run.period_key == "2026-12-01T08:00Z" and not run.started_late
    assert case.idempotency_key == f"schedule-{schedule.pk}-2026-12-01T08:00Z"  # unique per requester, too
    started = AuditEvent.objects.get(case_id=case.pk, action=Action.SCHEDULE_STARTED)
    assert started.reason == "Started by schedule 'Daily order'."
    assert AuditEvent.objects.filter(case_id=case.pk, action=Action.CASE_STARTED).exists()
    assert run_for_case(case=case) == run
    schedule.refresh_from_db()
    assert schedule.next_due_at == berlin(2026, 12, 2, 9, 0)


def test_two_runners_at_the_same_moment_start_the_period_once(make_schedule):
    schedule = make_schedule(at=berlin(2026, 12, 1, 8, 0))
    # Both runners read the schedule before either started anything (two schedulers, one moment).
    first, second = schedule_get(schedule_id=schedule.pk), schedule_get(schedule_id=schedule.pk)
    moment = berlin(2026, 12, 1, 9, 0, 30)

    made_first = schedule_run_due(schedule=first, at=moment)
    made_second = schedule_run_due(schedule=second, at=moment)

    assert len(made_first) == 1 and made_second == []
    assert ScheduleRun.objects.filter(schedule=schedule).count() == 1
    assert Case.objects.filter(pk=made_first[0].case_id).count() == 1
    assert schedules_run_due(at=moment) == []  # and the every-minute runner again: nothing


def test_after_a_clock_jump_each_missed_period_starts_once_late_and_marked(make_schedule):
    schedule = make_schedule(at=berlin(2026, 11, 30, 8, 0))  # a Monday

    made = schedules_run_due(at=berlin(2026, 12, 3, 9, 5))  # down since Monday morning

    assert [r.period_key for r in made] == [
        "2026-11-30T08:00Z",
        "2026-12-01T08:00Z",
        "2026-12-02T08:00Z",
        "2026-12-03T08:00Z",
    ]
    assert [r.started_late for r in made] == [True, True, True, False]
    assert [run_is_late(r, now=berlin(2026, 12, 3, 9, 5)) for r in made] == [True, True, True, False]
    late = AuditEvent.objects.filter(action=Action.SCHEDULE_STARTED, case_id=made[0].case_id).get()
    assert late.reason == "Started late by schedule 'Daily order': due 2026-11-30 08:00 UTC."
    assert late.context["late"] is True
    assert schedules_run_due(at=berlin(2026, 12, 3, 9, 6)) == []
    assert ScheduleRun.objects.filter(schedule=schedule).count() == 4


def test_a_jump_over_many_periods_starts_only_the_newest_and_says_how_many_were_skipped(make_schedule):
    schedule = make_schedule(at=berlin(2026, 12, 1, 7, 30), cron="0 * * * *", name="Hourly")

    made = schedules_run_due(at=berlin(2026, 12, 2, 3, 30))  # 20 hourly periods

    assert len(made) == periods.MAX_CATCH_UP
    assert made[-1].period_key == "2026-12-02T02:00Z"
    skipped = AuditEvent.objects.get(action=Action.SCHEDULE_SKIPPED)
    assert skipped.context == {"schedule": schedule.pk, "skipped": 20 - periods.MAX_CATCH_UP}


def test_an_open_run_past_its_due_time_is_late(make_schedule):
    make_schedule(at=berlin(2026, 12, 1, 8, 0))
    [run] = schedules_run_due(at=berlin(2026, 12, 1, 9, 0))

    assert run.due_by == berlin(2026, 12, 1, 17, 0)  # 8 business hours on the demo calendar
    assert not run_is_late(run, now=berlin(2026, 12, 1, 16, 59))
    assert run_is_late(run, now=berlin(2026, 12, 1, 17, 1))


def test_every_n_business_days_counts_working_days_of_the_workflow_calendar(make_schedule):
    # Created on Friday 4 December: working days from Monday 7th; every 2nd one, at 09:00 Berlin.
    schedule = make_schedule(at=berlin(2026, 12, 4, 10, 0), kind="business_days", every_days=2, cron="")

    made = schedules_run_due(at=berlin(2026, 12, 11, 9, 0))

    assert [r.period_key for r in made] == ["2026-12-07T08:00Z", "2026-12-09T08:00Z", "2026-12-11T08:00Z"]
    assert schedule.rule == "every 2 business days"


def test_a_paused_schedule_starts_nothing_and_resuming_does_not_start_the_paused_periods(make_schedule, users):
    import time_machine

    schedule = make_schedule(at=berlin(2026, 12, 1, 8, 0))
    with time_machine.travel(berlin(2026, 12, 1, 8, 30), tick=False):
        schedule_update(schedule=schedule, actor=users["olivia"], is_active=False)
    assert schedules_run_due(at=berlin(2026, 12, 3, 9, 0)) == []
    with time_machine.travel(berlin(2026, 12, 3, 12, 0), tick=False):
        schedule_update(schedule=schedule, actor=users["olivia"], is_active=True)

    made = schedules_run_due(at=berlin(2026, 12, 4, 9, 0))

    assert [r.period_key for r in made] == ["2026-12-04T08:00Z"]
    assert list(AuditEvent.objects.filter(action=Action.SCHEDULE_CHANGED).values_list("reason", flat=True)) == [
        "created",
        "paused",
        "resumed",
    ]


def test_a_period_the_live_version_refuses_is_recorded_as_not_started_with_the_reason(make_schedule, users):
    from apps.definitions.selectors import version_live
    from apps.definitions.services import draft_create_from, draft_update, version_publish
    from apps.schedules.models import RunStatus

    schedule = make_schedule(at=berlin(2026, 12, 1, 8, 0))
    live = version_live(key="purchase-approval")
    spec = {**live.spec, "fields": [*live.spec["fields"], {"name": "project", "type": "text", "required": True}]}
    draft = draft_update(
        version=draft_create_from(version=live, actor=users["olivia"]), spec=spec, actor=users["olivia"]
    )
    version_publish(version=draft, actor=users["olivia"])

    [run] = schedules_run_due(at=berlin(2026, 12, 1, 9, 1))

    assert run.status == RunStatus.FAILED and run.case_id is None
    assert "project" in run.error
    failed = AuditEvent.objects.get(action=Action.SCHEDULE_FAILED)
    assert failed.context["schedule"] == schedule.pk and failed.reason == run.error
    assert schedules_run_due(at=berlin(2026, 12, 1, 9, 2)) == []  # the period is taken: not retried every minute


def test_a_requester_who_left_starts_nothing_and_the_run_says_why(make_schedule, users):
    make_schedule(at=berlin(2026, 12, 1, 8, 0))
    users["alice"].is_active = False
    users["alice"].save(update_fields=["is_active"])

    [run] = schedules_run_due(at=berlin(2026, 12, 1, 9, 1))

    assert run.case_id is None
    assert run.error == "The requester 'alice' is no longer active: choose another requester."
