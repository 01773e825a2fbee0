"""The SLA clocks of one stage round are written in one INSERT (apps/sla/receivers.py), with the
case's own clock when the case starts in that stage; every clock is there afterwards, as before."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.sla.models import ClockKind, SlaClock
from tests.conftest import open_tasks


def clock_inserts(queries):
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "sla_slaclock"')]


def test_the_clocks_of_a_stage_round_are_written_together(start_purchase):
    start_purchase(amount="5000")  # warm caches
    with CaptureQueriesContext(connection) as queries:
        case = start_purchase(amount="5000")  # manager and finance, both with the approval SLA

    assert len(clock_inserts(queries)) == 1
    clocks = SlaClock.objects.filter(case_id=case.pk, kind=ClockKind.APPROVAL)
    assert sorted(c.task_id for c in clocks) == sorted(t.pk for t in open_tasks(case))
    assert all(c.next_fire_at is not None and c.due is not None for c in clocks)


def test_a_case_sla_clock_joins_its_first_stage_clocks(demo, start):
    from apps.definitions.services import definition_create, version_publish

    spec = {
        "fields": [{"name": "amount", "type": "decimal", "label": "Amount", "required": True}],
        "stages": [{"key": "s", "name": "S", "approvers": [{"key": "m", "label": "Manager", "type": "manager"}]}],
        "sla": {"case": {"target_hours": 10}, "approval": {"target_hours": 4}},
    }
    draft = definition_create(key="timed-case", name="Timed case", spec=spec, actor=demo["olivia"])
    version_publish(version=draft, actor=demo["olivia"])

    with CaptureQueriesContext(connection) as queries:
        case = start("timed-case", amount="10")

    assert len(clock_inserts(queries)) == 1
    assert sorted(SlaClock.objects.filter(case_id=case.pk).values_list("kind", flat=True)) == sorted(
        [ClockKind.APPROVAL, ClockKind.CASE]
    )
