"""The team and role filters on the constructed history (tests/metrics/conftest.py), plus one case
of another team whose approval went through a role's queue:

    case  requester (team)    what happened                                               closed
    A,B,C,F,D  alice (Engineering)  as in conftest                                        A,B,C,F
    G     fiona (Finance)     Tue 10:00 started (carol, her manager, holds it); oscar puts   approved, 4 h
                              it in the legal queue at 11:00; leo approves Tue 14:00

Every metric, panel and the API count through apps.metrics.selectors.base.real_cases, so a filter
narrows them all alike; an unknown team or role is a 400 naming the parameter.
"""

import pytest
import time_machine

from apps.cases.services import case_start, task_reassign_by
from apps.core.errors import ValidationFailed
from apps.metrics.filters import MSG_UNKNOWN_ROLE, MSG_UNKNOWN_TEAM, metrics_filter
from apps.metrics.policy import metrics_scope
from apps.metrics.selectors import cycle_time_panel, metrics_summary, wip_panel
from apps.org.models import Department
from tests.conftest import open_tasks

from .conftest import KEY, NOW, TUE, _decide, at


@pytest.fixture
def teams(history, demo):
    with time_machine.travel(at(TUE, 10), tick=False):
        g, _ = case_start(workflow=KEY, data={"amount": "700"}, actor=demo["fiona"])
    with time_machine.travel(at(TUE, 11), tick=False):
        (task,) = open_tasks(g)
        task_reassign_by(task_id=task.pk, actor=demo["oscar"], to="role:legal", reason="Needs counsel")
    with time_machine.travel(at(TUE, 14), tick=False):
        _decide(g, demo["leo"], "approve")
    return {**history, "G": g}


def numbers(user, **query):
    return metrics_summary(scope=metrics_scope(user=user), metrics_filter=metrics_filter(**query), now=NOW)


def test_a_team_counts_the_cases_its_people_requested(teams, demo):
    finance = Department.objects.get(name="Finance")
    by_id = numbers(demo["oscar"], workflow=KEY, team=str(finance.pk))
    assert by_id["cycle_time_hours"] == {"p50": 4.0, "p90": 4.0, "count": 1}  # G alone
    assert by_id["wip"] == {"open": 0, "by_stage": {}}
    assert by_id["outcomes"] == {"approved": 1}
    assert numbers(demo["oscar"], workflow=KEY, team="Finance") == by_id  # by its name too

    engineering = numbers(demo["oscar"], workflow=KEY, team="Engineering")
    assert engineering["cycle_time_hours"] == {"p50": 2.5, "p90": 34.5, "count": 4}  # A, B, C, F: alice's
    assert engineering["wip"] == {"open": 1, "by_stage": {"review": 1}}  # D
    assert numbers(demo["oscar"], workflow=KEY, team="Legal")["cycle_time_hours"]["count"] == 0
    every = numbers(demo["oscar"], workflow=KEY)
    assert every["cycle_time_hours"]["count"] == 5 and every["closed"] == 5


def test_a_role_counts_the_cases_that_went_through_its_queue(teams, demo):
    legal = numbers(demo["oscar"], workflow=KEY, role="legal")
    assert legal["cycle_time_hours"] == {"p50": 4.0, "p90": 4.0, "count": 1}  # G
    assert legal["approval_latency_hours"] == {"review": {"p50": 4.0, "p90": 4.0}}  # created 10:00, decided 14:00
    assert numbers(demo["oscar"], workflow=KEY, role="finance")["closed"] == 0
    # Both filters together: a team and a role.
    assert numbers(demo["oscar"], workflow=KEY, team="Engineering", role="legal")["closed"] == 0


def test_the_panels_narrow_alike(teams, demo):
    scope = metrics_scope(user=demo["oscar"])
    panel = cycle_time_panel(scope=scope, metrics_filter=metrics_filter(workflow=KEY, role="legal"), with_case_ids=True)
    assert panel["overall"]["case_ids"] == [teams["G"].pk]
    wip = wip_panel(scope=scope, metrics_filter=metrics_filter(workflow=KEY, team="Engineering"), with_case_ids=True)
    assert wip["by_stage"] == [{"stage": "review", "count": 1, "case_ids": [teams["D"].pk]}]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"team": "Nowhere"}, "team", MSG_UNKNOWN_TEAM.format(team="Nowhere")),
        ({"team": "999999"}, "team", MSG_UNKNOWN_TEAM.format(team="999999")),
        ({"role": "astronauts"}, "role", MSG_UNKNOWN_ROLE.format(role="astronauts")),
        ({"role": "x" * 500}, "role", MSG_UNKNOWN_ROLE.format(role="x" * 100)),
    ],
)
def test_an_unknown_team_or_role_is_refused_naming_it(demo, query, field, message):
    with pytest.raises(ValidationFailed) as refused:
        metrics_filter(**query)
    assert refused.value.field_errors == {field: [message]}


def test_the_dashboard_and_its_links_carry_the_filters(teams, demo, client):
    client.force_login(demo["oscar"])
    page = client.get(f"/dashboards/{KEY}/", {"team": "Finance", "role": "legal"})
    html = page.content.decode()
    assert page.status_code == 200
    # The drill-down of the cycle time lists G only, and the CSV link keeps the filters.
    assert "team=Finance&amp;role=legal" in html
    cases = client.get(
        "/dashboards/cases/", {"workflow": KEY, "panel": "cycle-time", "ref": "overall", "team": "Finance"}
    )
    assert f"#{teams['G'].pk}" in cases.content.decode() and f"#{teams['A'].pk}<" not in cases.content.decode()
    csv = client.get(f"/dashboards/{KEY}/cycle-time.csv", {"role": "legal"}).content.decode()
    assert csv.splitlines()[2].startswith("1,4.0,4.0")
    refused = client.get(f"/dashboards/{KEY}/", {"team": "Nowhere"})
    assert refused.status_code == 400 and "team" in refused.content.decode()
    assert client.get(f"/dashboards/{KEY}/", {"role": "astronauts"}).status_code == 400
