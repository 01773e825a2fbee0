"""Alert thresholds and the weekly digest (issue 13), on the constructed history of conftest.py:
at NOW (Wed 10:00 UTC) the only open case, D, has waited 2 business hours (a quarter of a
business day); B's approval clocks were both late; olivia owns the workflow; oscar operates."""

from decimal import Decimal

import pytest
import time_machine

from apps.alerts.models import AlertRule, Metric
from apps.alerts.services import alert_rule_set, alerts_check, digest_send
from apps.audit.models import AuditEvent
from apps.core.errors import NotAllowed, ValidationFailed
from apps.notify.models import Notification

from .conftest import KEY, NOW, WED, _decide, at


def told(username, **filters):
    return list(Notification.objects.filter(user__username=username, **filters).order_by("pk"))


def test_crossing_tells_the_owners_once_and_back_within_tells_them_again(history, demo):
    rule = alert_rule_set(actor=demo["olivia"], workflow_key=KEY, metric=Metric.AGING, threshold="0.2")
    assert AuditEvent.objects.filter(action="alert.set", actor_name="olivia").count() == 1

    assert alerts_check(now=NOW) == {"checked": 1, "crossed": 1, "cleared": 0}
    rule.refresh_from_db()
    assert rule.crossed_at == NOW and rule.last_value == Decimal("0.25")
    [crossed] = told("olivia", subject__startswith=f"{KEY}:")
    assert crossed.subject == f"{KEY}: the oldest open case is older than 0.20 business days (0.25 business days)"
    assert crossed.url == f"/dashboards/{KEY}/"

    assert alerts_check(now=at(WED, 11)) == {"checked": 1, "crossed": 0, "cleared": 0}, "not on every check"
    assert len(told("olivia", subject__startswith=f"{KEY}:")) == 1

    with time_machine.travel(at(WED, 12), tick=False):
        _decide(history["D"], demo["bob"], "approve")
    assert alerts_check(now=at(WED, 12)) == {"checked": 1, "crossed": 0, "cleared": 1}
    assert told("olivia", subject__startswith=f"{KEY}:")[-1].subject.endswith(
        "back within its threshold (the oldest open case is older than 0.20 business days)"
    )
    assert not told("alice", subject__startswith=f"{KEY}:"), "only the owners are told"


def test_a_threshold_not_crossed_tells_nobody(history, demo):
    alert_rule_set(actor=demo["olivia"], workflow_key=KEY, metric=Metric.AGING, threshold="1")
    assert alerts_check(now=NOW)["crossed"] == 0
    assert not told("olivia", subject__startswith=f"{KEY}:")


def test_sla_met_under_its_threshold_is_crossed(history, demo):
    """Met: A, F, C; breached: B's two clocks (test_summary.py): 60 % met, under 90 %."""
    alert_rule_set(actor=demo["olivia"], workflow_key=KEY, metric=Metric.SLA_MET, threshold="90", window_days=30)
    alerts_check(now=NOW)
    rule = AlertRule.objects.get()
    assert rule.crossed_at == NOW and rule.last_value == Decimal("60.00")


def test_only_owners_and_admins_set_thresholds_and_bad_input_names_the_field(history, demo):
    with pytest.raises(NotAllowed):
        alert_rule_set(actor=demo["bob"], workflow_key=KEY, metric=Metric.AGING, threshold="5")
    assert alert_rule_set(actor=demo["admin"], workflow_key=KEY, metric=Metric.AGING, threshold="5").pk
    with pytest.raises(ValidationFailed) as bad:
        alert_rule_set(actor=demo["olivia"], workflow_key=KEY, metric=Metric.EXCEPTION_RATE, threshold="150")
    assert list(bad.value.field_errors) == ["threshold"]
    with pytest.raises(ValidationFailed) as bad:
        alert_rule_set(actor=demo["olivia"], workflow_key=KEY, metric=Metric.AGING, threshold="soon", window_days=0)
    assert set(bad.value.field_errors) == {"threshold", "window_days"}


def test_the_weekly_digest_goes_to_owners_and_operators_once_a_week(history, demo):
    assert digest_send(now=NOW) >= 2
    [olivia] = told("olivia", subject__startswith="Weekly digest")
    [oscar] = told("oscar", subject__startswith="Weekly digest")
    assert f"{KEY}: 2 SLA misses." in olivia.body and f"{KEY}: 2 SLA misses." in oscar.body  # B's two clocks
    assert olivia.url == "/dashboards/"
    assert not told("alice", subject__startswith="Weekly digest")
    digest_send(now=at(WED, 11))
    assert len(told("olivia", subject__startswith="Weekly digest")) == 1, "once per week"


def test_the_check_runs_hourly_and_the_digest_weekly(db):
    from django_q.models import Schedule

    from apps.alerts.schedules import ensure_schedules

    ensure_schedules()
    ensure_schedules()  # declared in code: running it again changes nothing
    kinds = dict(
        Schedule.objects.filter(name__in=["alerts-check", "weekly-digest"]).values_list("name", "schedule_type")
    )
    assert kinds == {"alerts-check": Schedule.HOURLY, "weekly-digest": Schedule.WEEKLY}
    digest = Schedule.objects.get(name="weekly-digest")
    assert digest.func == "apps.alerts.tasks.digest" and digest.next_run.weekday() == 0


def test_the_digest_names_exception_categories_as_the_queue_does():
    from apps.alerts.services import _category

    assert (_category("missing_data"), _category("rejected"), _category("new_kind")) == (
        "missing data",
        "rejected by target",
        "new_kind",
    )
