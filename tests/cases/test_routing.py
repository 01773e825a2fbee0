"""Every routing branch of the seed's purchase approval, and the explanation it leaves."""

import pytest

from tests.conftest import open_tasks


def labels(case):
    return sorted(t.data["label"] for t in open_tasks(case))


@pytest.mark.parametrize(
    ("amount", "risk", "expected"),
    [
        ("999.99", "low", ["Manager approval"]),
        ("1000", "low", ["Finance approval", "Manager approval"]),
        ("5000", "medium", ["Finance approval", "Manager approval"]),
        ("200", "high", ["Legal review", "Manager approval"]),
        ("1000", "high", ["Finance approval", "Legal review", "Manager approval"]),
    ],
)
def test_approvals_follow_amount_and_vendor_risk(start_purchase, amount, risk, expected):
    case = start_purchase(amount=amount, vendor_risk=risk)
    assert case.state == "approval"
    assert labels(case) == expected


def test_manager_task_goes_to_the_requesters_manager_and_role_tasks_to_the_queue(start_purchase, users):
    case = start_purchase(amount="5000", vendor_risk="high")
    by_label = {t.data["label"]: t for t in open_tasks(case)}
    assert by_label["Manager approval"].owner == users["bob"]
    assert by_label["Finance approval"].owner is None
    assert by_label["Finance approval"].owner_permission == "role:finance"
    assert by_label["Legal review"].owner_permission == "role:legal"


def test_vendor_risk_defaults_to_low(start_purchase):
    case = start_purchase(amount="50", vendor_risk=None)
    assert case.data["vendor_risk"] == "low"
    assert labels(case) == ["Manager approval"]


def test_route_explanation_names_rules_inputs_and_version(start_purchase):
    case = start_purchase(amount="5000", vendor_risk="low")
    route = case.route
    assert route["version"] == 1
    assert route["outcome"] == "approval"
    rules = {r["rule"]: r for r in route["rules"]}
    assert rules["Finance approval"]["result"] is True
    assert rules["Finance approval"]["inputs"] == {"amount": "5000.00"}
    assert (
        rules["Finance approval"]["text"] == "Amount 5,000 >= 1,000"
    )  # the field's label, numbers as people write them
    assert rules["Legal review"]["result"] is False
    assert "Finance approval (Amount 5,000 >= 1,000)" in route["summary"]
    assert rules["Legal review"]["text"] == "Vendor risk = high (it is low)"


def test_missing_cost_center_returns_to_requester_with_what_is_missing(start_purchase, users):
    case = start_purchase(amount="5000", cost_center=None)
    assert case.state == "rework"
    (task,) = open_tasks(case)
    assert task.owner == users["alice"]
    assert task.data["kind"] == "rework"
    assert task.data["missing"] == ["cost_center"]
    assert "Cost center" in task.data["message"]


def test_requester_without_manager_goes_to_operators_queue(start_purchase, users):
    case = start_purchase(actor=users["carol"], amount="100")
    (task,) = open_tasks(case)
    assert task.owner is None and task.owner_permission == "role:operators"
    assert "no manager" in case.route["approvers"][0]["assignee_note"]
