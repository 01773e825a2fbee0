"""Parallel approval policies: all, any, N of M."""

import pytest

from apps.cases.services import task_complete
from apps.core.errors import Conflict
from tests.conftest import events, open_tasks, reload, task_for

THREE = [
    {"key": "bob", "label": "Bob", "type": "user", "user": "bob"},
    {"key": "fiona", "label": "Fiona", "type": "user", "user": "fiona"},
    {"key": "leo", "label": "Leo", "type": "user", "user": "leo"},
]


def stage(policy, n=None):
    s = {"key": "review", "name": "Review", "policy": policy, "approvers": THREE}
    if n is not None:
        s["n"] = n
    return s


def decide(case, label, user, decision="approve", reason=""):
    task_complete(task_id=task_for(case, label).pk, actor=user, decision=decision, reason=reason)
    return reload(case)


def test_all_policy_waits_for_every_approver(publish, start, users):
    publish("all-three", [stage("all")])
    case = start("all-three", amount="1")
    case = decide(case, "Bob", users["bob"])
    case = decide(case, "Fiona", users["fiona"])
    assert case.status_label == "open" and len(open_tasks(case)) == 1
    case = decide(case, "Leo", users["leo"])
    assert (case.status_label, case.outcome) == ("closed", "approved")


def test_any_policy_closes_on_first_approval_and_cancels_the_rest(publish, start, users):
    publish("any-three", [stage("any")])
    case = start("any-three", amount="1")
    fiona_task = task_for(case, "Fiona")
    case = decide(case, "Bob", users["bob"])
    assert (case.status_label, case.outcome) == ("closed", "approved")
    assert open_tasks(case) == []
    assert len(events(case, "task.cancelled")) == 2
    with pytest.raises(Conflict):
        task_complete(task_id=fiona_task.pk, actor=users["fiona"], decision="approve")


def test_any_policy_is_rejected_only_when_everyone_rejects(publish, start, users):
    publish("any-reject", [stage("any")])
    case = start("any-reject", amount="1")
    case = decide(case, "Bob", users["bob"], "reject", "no budget")
    case = decide(case, "Fiona", users["fiona"], "reject", "no")
    assert case.status_label == "open"
    case = decide(case, "Leo", users["leo"], "reject", "no")
    assert case.outcome == "rejected"


def test_two_of_three_approves_after_two_and_cancels_the_third(publish, start, users):
    publish("two-of-three", [stage("n_of_m", n=2)])
    case = start("two-of-three", amount="1")
    case = decide(case, "Leo", users["leo"])
    assert case.status_label == "open"
    case = decide(case, "Fiona", users["fiona"])
    assert (case.status_label, case.outcome) == ("closed", "approved")
    assert [e.step for e in events(case, "task.cancelled")] == ["Bob"]


def test_two_of_three_rejects_once_two_approvals_are_impossible(publish, start, users):
    publish("two-of-three-no", [stage("n_of_m", n=2)])
    case = start("two-of-three-no", amount="1")
    case = decide(case, "Bob", users["bob"], "reject", "duplicate request")
    assert case.status_label == "open"
    case = decide(case, "Leo", users["leo"], "reject", "not needed")
    assert (case.status_label, case.outcome) == ("closed", "rejected")
    assert case.closed_reason == "duplicate request; not needed"


def test_stages_run_in_sequence(publish, start, users):
    publish(
        "two-stages",
        [
            {"key": "first", "name": "First", "approvers": [THREE[0]]},
            {"key": "second", "name": "Second", "approvers": [THREE[1]]},
        ],
    )
    case = start("two-stages", amount="1")
    assert [t.data["label"] for t in open_tasks(case)] == ["Bob"]
    case = decide(case, "Bob", users["bob"])
    assert case.stage == "second" and [t.data["label"] for t in open_tasks(case)] == ["Fiona"]
    case = decide(case, "Fiona", users["fiona"])
    assert case.outcome == "approved"


def test_a_stage_whose_condition_fails_is_skipped(publish, start, users):
    publish(
        "conditional-stage",
        [
            {
                "key": "big",
                "name": "Big",
                "approvers": [THREE[0]],
                "when": {"all": [{"field": "amount", "op": ">", "value": "100"}]},
            },
            {"key": "always", "name": "Always", "approvers": [THREE[1]]},
        ],
    )
    case = start("conditional-stage", amount="5")
    assert case.stage == "always"
    assert any(r["rule"] == "Big stage" and r["result"] is False for r in case.route["rules"])
