"""The step machinery lives in apps.automation: what was queued, scheduled or registered before
it left apps.integrations still reaches it, and transport calls it only through what it registered."""

import pydoc

from django_q.models import Schedule

from apps.automation import tasks
from apps.automation.schedules import STEPS_FUNC, STEPS_SCHEDULE, ensure_schedules
from apps.automation.services import step_callback
from apps.integrations import inbound
from apps.integrations.models import InboundAction

OLD_STEP_TASK = "apps.integrations.tasks.step_attempt"
OLD_STEPS_FUNC = "apps.integrations.tasks.steps_due"


def test_messages_and_schedules_naming_the_old_task_paths_still_run():
    """django-q2 locates a task by its dotted path: a message queued before the move names the old one."""
    assert pydoc.locate(OLD_STEP_TASK) is tasks.step_attempt
    assert pydoc.locate(OLD_STEPS_FUNC) is tasks.steps_due
    assert pydoc.locate("apps.integrations.tasks.no_such_task") is None


def test_a_schedule_saved_with_the_old_path_is_repaired_in_place(db):
    Schedule.objects.filter(name=STEPS_SCHEDULE).update(func=OLD_STEPS_FUNC)
    ensure_schedules()
    (schedule,) = Schedule.objects.filter(name=STEPS_SCHEDULE)
    assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        STEPS_FUNC,
        Schedule.MINUTES,
        1,
        -1,
    )


def test_migrate_declares_the_step_sweep_once(db):
    assert list(Schedule.objects.filter(name=STEPS_SCHEDULE).values_list("func", flat=True)) == [STEPS_FUNC]


def test_inbound_callbacks_complete_steps_through_the_handler_automation_registered():
    assert inbound._handlers[InboundAction.COMPLETE_STEP] is step_callback
