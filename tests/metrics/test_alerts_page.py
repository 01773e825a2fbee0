"""The alerts page: owners set thresholds for their workflows and see whether each is crossed."""

from apps.alerts.models import AlertRule
from apps.alerts.services import alerts_check

from .conftest import KEY, NOW


def test_an_owner_sets_a_threshold_and_sees_it_crossed(history, signed_in):
    olivia = signed_in("olivia")
    page = olivia.get("/alerts/").content.decode()
    assert "No thresholds yet." in page and f'<option value="{KEY}"' in page
    response = olivia.post(
        "/alerts/", {"workflow": KEY, "metric": "aging_days", "threshold": "0.2", "window_days": "30", "active": "on"}
    )
    assert response.status_code == 302
    rule = AlertRule.objects.get()
    assert (rule.workflow_key, str(rule.threshold), rule.active) == (KEY, "0.20", True)
    alerts_check(now=NOW)
    page = olivia.get("/alerts/").content.decode()
    assert '<span class="badge bad">crossed</span>' in page and "0.25" in page


def test_bad_input_is_a_400_naming_the_field_and_keeps_what_was_typed(history, signed_in):
    response = signed_in("olivia").post(
        "/alerts/", {"workflow": KEY, "metric": "sla_met", "threshold": "120", "window_days": "30"}
    )
    page = response.content.decode()
    assert response.status_code == 400 and "Give a percentage between 0 and 100." in page and 'value="120"' in page
    assert not AlertRule.objects.exists()


def test_operators_read_but_cannot_set_and_requesters_cannot_open(history, signed_in):
    assert signed_in("alice").get("/alerts/").status_code == 403
    oscar = signed_in("oscar")
    page = oscar.get("/alerts/").content.decode()
    assert "Set a threshold" not in page
    assert oscar.post("/alerts/", {"workflow": KEY, "metric": "aging_days", "threshold": "5"}).status_code == 403
