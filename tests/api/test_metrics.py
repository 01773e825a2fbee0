"""GET /api/v1/metrics/: its answer, its refusals (400 naming the parameter, 403 for who may not
see metrics) and its cost. The numbers themselves are tested in tests/metrics/."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.definitions.library import LIBRARY
from apps.definitions.services import definition_create, version_publish
from apps.metrics.filters import MSG_BAD_DATE, MSG_VERSION_NEEDS_WORKFLOW
from apps.metrics.policy import MSG_NO_METRICS, MSG_NOT_YOUR_WORKFLOW

from .conftest import complete, started, task_named

URL = "/api/v1/metrics/"
# Token + user, the caller's roles, then the numbers: open cases, closed cases, started cases,
# decided approvals, SLA clocks, pending approvals, step failures.
OPERATOR_QUERIES = 9
# A workflow owner: plus her workflows (guardian's object permissions, her definitions).
OWNER_QUERIES = 11


def test_the_numbers_of_a_workflow(api):
    case = started(api("alice"), amount="5000")
    complete(api("fiona"), task_named(case, "Finance approval")["id"], decision="approve")
    body = api("oscar").get(URL, {"workflow": "purchase-approval"}).json()

    assert body["wip"] == {"open": 1, "by_stage": {"approval": 1}}
    assert list(body["approval_latency_hours"]) == ["approval"]
    assert body["pending_approvals"] == [
        {"owner": "bob", "role": None, "count": 1, "oldest_hours": body["pending_approvals"][0]["oldest_hours"]}
    ]
    assert body["cycle_time_hours"] == {"p50": None, "p90": None, "count": 0}
    assert body["exception_rate"] == 0.0 and body["rework_rate"] is None
    assert body["sla"] == {"met": 1, "breached": 0}  # fiona decided in time
    assert body["exceptions"] == [] and body["outcomes"] == {}
    assert body["scope"] == {"sees": "all", "workflows": None}
    assert body["filter"] == {
        "workflow": "purchase-approval",
        "version": None,
        "from": None,
        "to": None,
        "team": None,
        "role": None,
    }


def test_the_team_and_role_filters(api, demo):
    from apps.org.models import Department

    engineering = Department.objects.get(name="Engineering").pk
    case = started(api("alice"), amount="5000")  # alice is in Engineering; finance's queue approves too
    complete(api("fiona"), task_named(case, "Finance approval")["id"], decision="approve")
    oscar = api("oscar")
    body = oscar.get(URL, {"workflow": "purchase-approval", "team": "Engineering", "role": "finance"}).json()
    assert body["wip"] == {"open": 1, "by_stage": {"approval": 1}}
    assert body["filter"]["team"] == engineering and body["filter"]["role"] == "finance"
    assert oscar.get(URL, {"team": str(engineering)}).json()["wip"]["open"] == 1
    assert oscar.get(URL, {"team": "Finance"}).json()["wip"]["open"] == 0
    assert oscar.get(URL, {"role": "legal"}).json()["wip"]["open"] == 0


@pytest.mark.parametrize(
    ("query", "parameter", "message"),
    [
        ({"from": "2026-02-30"}, "from", MSG_BAD_DATE),
        ({"to": "yesterday"}, "to", MSG_BAD_DATE),
        ({"to": "9999-12-31"}, "to", "Give a day between 1900-01-01 and 9999-12-30."),
        ({"from": "0001-01-01"}, "from", "Give a day between 1900-01-01 and 9999-12-30."),
        ({"from": "2026-12-02", "to": "2026-12-01"}, "to", "The end of the range (2026-12-01) is before its start"),
        ({"workflow": "no-such-flow"}, "workflow", "No workflow has the key 'no-such-flow'."),
        ({"workflow": "purchase-approval", "version": "two"}, "version", "Give a version number"),
        ({"version": "1"}, "version", MSG_VERSION_NEEDS_WORKFLOW),
        (
            {"workflow": "purchase-approval", "version": "7"},
            "version",
            "Workflow 'purchase-approval' has no version 7.",
        ),
        ({"workflow": "purchase-approval", "version": "9" * 30}, "version", "Give a version number"),
        ({"team": "Nowhere"}, "team", "No team (department) has the name or number 'Nowhere'."),
        ({"role": "astronauts"}, "role", "No role has the key 'astronauts'."),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(api, query, parameter, message):
    response = api("oscar").get(URL, query)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [parameter]
    assert response.json()["errors"][parameter][0].startswith(message)


@pytest.mark.parametrize(("username", "status"), [("alice", 403), ("fiona", 403), ("leo", 403), ("ivan", 403)])
def test_requesters_and_approvers_see_no_metrics(api, username, status):
    response = api(username).get(URL)
    assert response.status_code == status
    assert response.json()["detail"] == MSG_NO_METRICS


def test_a_workflow_owner_sees_her_workflows_only(api, demo):
    draft = definition_create(
        key="admins-flow",
        name="Admin's flow",
        spec={
            "fields": [{"name": "amount", "type": "decimal", "label": "Amount", "required": True}],
            "stages": [{"key": "s", "name": "S", "approvers": [{"key": "m", "type": "manager"}]}],
        },
        actor=demo["admin"],
    )
    version_publish(version=draft, actor=demo["admin"])

    mine = api("olivia").get(URL).json()
    assert mine["scope"] == {"sees": "workflows", "workflows": sorted(t["key"] for t in LIBRARY)}
    refused = api("olivia").get(URL, {"workflow": "admins-flow"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == MSG_NOT_YOUR_WORKFLOW.format(key="admins-flow")
    assert api("admin").get(URL, {"workflow": "admins-flow"}).status_code == 200


def test_a_manager_sees_the_approvals_pending_with_her_reports_and_nothing_else(api, demo):
    case = started(api("alice"), amount="5000")  # bob (manager) and the finance queue
    api("fiona").post(f"/api/v1/tasks/{task_named(case, 'Finance approval')['id']}/claim/")

    carol = api("carol").get(URL).json()  # bob and fiona report to carol
    assert carol["scope"] == {"sees": "reports", "workflows": []}
    assert sorted((p["owner"], p["count"]) for p in carol["pending_approvals"]) == [("bob", 1), ("fiona", 1)]
    assert carol["wip"]["open"] == 0 and carol["started"] == 0

    bob = api("bob").get(URL).json()  # alice reports to bob; she holds no approval
    assert bob["pending_approvals"] == []


@pytest.mark.parametrize(("username", "budget"), [("oscar", OPERATOR_QUERIES), ("olivia", OWNER_QUERIES)])
def test_the_cost_does_not_grow_with_the_number_of_cases(api, start_purchase, users, username, budget):
    client = api(username)
    client.get(URL)  # warm up

    def measure():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    for _ in range(2):
        start_purchase(amount="5000")
    few = measure()
    for _ in range(8):
        start_purchase(amount="5000", vendor_risk="high")
    assert measure() == few == budget
