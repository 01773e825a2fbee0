from django.apps import apps
from django.db.models.signals import post_migrate
from django_q.models import Schedule

from apps.ops.schedules import HEARTBEAT_FUNC, HEARTBEAT_SCHEDULE


def test_migrate_declares_the_worker_heartbeat_every_minute_once(db):
    for _ in range(2):
        post_migrate.send(sender=apps.get_app_config("django_q"), app_config=apps.get_app_config("django_q"))
    (schedule,) = Schedule.objects.filter(name=HEARTBEAT_SCHEDULE)
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (HEARTBEAT_FUNC, Schedule.MINUTES, 1)
