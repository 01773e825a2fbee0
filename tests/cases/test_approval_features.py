"""What approvals need, through the real engine: fields an approver fills in at their step,
conditions on the requester, approvers named by a user field or a role in the requester's
department, and approval authority limits up the manager chain (each routing explained)."""

import pytest

from apps.audit.models import Action
from apps.cases.services import case_start, task_complete
from apps.core.errors import ValidationFailed
from apps.definitions.fields import MSG_NOT_A_USER, MSG_REQUIRED, MSG_STEP_FIELD
from tests.conftest import events, open_tasks, reload, task_for

AMOUNT = {"name": "amount", "type": "decimal", "label": "Amount", "required": True}
GL = {"name": "gl_code", "type": "text", "label": "GL code", "max_length": 8}


def test_a_step_field_is_filled_by_its_approver_required_to_approve_and_kept_in_history(publish, demo):
    key = publish(
        "gl-purchase",
        [
            {
                "key": "approval",
                "name": "Approval",
                "approvers": [
                    {"key": "finance", "label": "Finance", "type": "role", "role": "finance", "fields": ["gl_code"]},
                    {"key": "manager", "label": "Manager", "type": "manager"},
                ],
            },
            {
                "key": "final",
                "name": "Final",
                "approvers": [{"key": "legal", "label": "Legal", "type": "role", "role": "legal"}],
            },
        ],
        fields=[AMOUNT, GL],
    )
    with pytest.raises(ValidationFailed) as refused:
        case_start(workflow=key, data={"amount": "50", "gl_code": "6000"}, actor=demo["alice"])
    assert refused.value.field_errors == {"gl_code": [MSG_STEP_FIELD.format(step="Approval")]}

    case, _ = case_start(workflow=key, data={"amount": "50"}, actor=demo["alice"])
    finance = task_for(case, "Finance")
    assert finance.data["fields"] == ["gl_code"]
    with pytest.raises(ValidationFailed) as refused:
        task_complete(task_id=finance.pk, actor=demo["fiona"], decision="approve")
    assert refused.value.field_errors == {"gl_code": [MSG_REQUIRED]}
    with pytest.raises(ValidationFailed) as refused:
        task_complete(task_id=finance.pk, actor=demo["fiona"], decision="approve", data={"gl_code": "6000-ABC-99"})
    assert refused.value.field_errors == {"gl_code": ["Enter at most 8 characters."]}
    with pytest.raises(ValidationFailed) as refused:
        task_complete(
            task_id=finance.pk, actor=demo["fiona"], decision="approve", data={"amount": "1", "gl_code": "6000"}
        )
    assert list(refused.value.field_errors) == ["amount"]

    task_complete(task_id=finance.pk, actor=demo["fiona"], decision="approve", data={"gl_code": " 6000 "})
    # The stage still waits for the manager; the value is kept all the same.
    assert reload(case).data["gl_code"] == "6000"
    decided = events(case, Action.TASK_DECIDED)[-1]
    assert decided.actor_name == "fiona" and decided.context["entered"] == {"gl_code": "6000"}
    task_complete(task_id=task_for(case, "Manager").pk, actor=demo["bob"], decision="approve")
    later = task_for(reload(case), "Legal")
    assert later.process.case.data["gl_code"] == "6000"  # the later step reads it


def test_rejecting_does_not_ask_for_the_step_fields(publish, demo):
    key = publish(
        "gl-reject",
        [
            {
                "key": "approval",
                "name": "Approval",
                "approvers": [
                    {"key": "f", "label": "Finance", "type": "role", "role": "finance", "fields": ["gl_code"]}
                ],
            }
        ],
        fields=[AMOUNT, GL],
    )
    case, _ = case_start(workflow=key, data={"amount": "50"}, actor=demo["alice"])
    task_complete(task_id=open_tasks(case)[0].pk, actor=demo["fiona"], decision="reject", reason="No budget")
    assert reload(case).state == "rejected"


def test_an_approval_without_step_fields_still_refuses_data(publish, demo):
    key = publish("plain", [{"key": "approval", "name": "Approval", "approvers": [{"key": "m", "type": "manager"}]}])
    case, _ = case_start(workflow=key, data={"amount": "50"}, actor=demo["alice"])
    with pytest.raises(ValidationFailed) as refused:
        task_complete(task_id=open_tasks(case)[0].pk, actor=demo["bob"], decision="approve", data={"amount": "1"})
    assert list(refused.value.field_errors) == ["data"]


def _legal_when(condition):
    return [
        {
            "key": "approval",
            "name": "Approval",
            "approvers": [
                {"key": "manager", "label": "Manager", "type": "manager"},
                {"key": "legal", "label": "Legal", "type": "role", "role": "legal", "when": condition},
            ],
        }
    ]


@pytest.mark.parametrize(
    ("condition", "requester", "applies"),
    [
        ({"requester": "department", "op": "=", "value": "Finance"}, "fiona", True),
        ({"requester": "department", "op": "=", "value": "Finance"}, "alice", False),
        ({"requester": "location", "op": "=", "value": "London"}, "frank", True),
        ({"requester": "location", "op": "in", "value": ["Paris", "Rome"]}, "frank", False),
        ({"requester": "cost_center_owner", "op": "=", "value": True}, "bob", True),
        ({"requester": "cost_center_owner", "op": "=", "value": True}, "alice", False),
        ({"requester": "cost_center", "op": "=", "value": "CC-100"}, "bob", True),
    ],
)
def test_conditions_on_the_requesters_attributes(publish, demo, condition, requester, applies):
    key = publish("by-requester", _legal_when(condition))
    case, _ = case_start(workflow=key, data={"amount": "50"}, actor=demo[requester])
    assert ("Legal" in [t.data["label"] for t in open_tasks(case)]) is applies


def test_a_requester_condition_explains_itself(publish, demo):
    key = publish("by-department", _legal_when({"requester": "department", "op": "=", "value": "Finance"}))
    case, _ = case_start(workflow=key, data={"amount": "50"}, actor=demo["alice"])
    (rule,) = [r for r in case.route["rules"] if r["rule"] == "Legal"]
    assert rule["text"] == "Requester's department = Finance (it is Engineering)"
    assert rule["inputs"] == {"requester.department": "Engineering"}


OWNER = {"name": "owner", "type": "user", "label": "System owner", "required": True, "not_requester": True}


def test_the_approver_named_on_the_form(publish, demo):
    key = publish(
        "named",
        [
            {
                "key": "approval",
                "name": "Approval",
                "approvers": [{"key": "o", "label": "Owner", "type": "user_field", "field": "owner"}],
            }
        ],
        fields=[AMOUNT, OWNER],
    )
    case, _ = case_start(workflow=key, data={"amount": "5", "owner": "leo"}, actor=demo["alice"])
    (task,) = open_tasks(case)
    assert task.owner == demo["leo"]
    assert task.data["assignee_note"] == "leo is named as owner"
    with pytest.raises(ValidationFailed) as refused:
        case_start(workflow=key, data={"amount": "5", "owner": "alice"}, actor=demo["alice"])
    assert refused.value.field_errors == {
        "owner": ["Name someone other than yourself: the requester cannot be the system owner."]
    }
    with pytest.raises(ValidationFailed) as refused:
        case_start(workflow=key, data={"amount": "5", "owner": "nobody"}, actor=demo["alice"])
    assert refused.value.field_errors == {"owner": [MSG_NOT_A_USER.format(username="nobody")]}


def test_a_role_within_the_requesters_department(publish, demo):
    key = publish(
        "dept-role",
        [
            {
                "key": "approval",
                "name": "Approval",
                "approvers": [{"key": "c", "label": "Controller", "type": "department_role", "role": "finance"}],
            }
        ],
    )
    case, _ = case_start(workflow=key, data={"amount": "5"}, actor=demo["fiona"])
    (task,) = open_tasks(case)
    assert task.owner == demo["frank"]  # fiona holds the role too, but never approves her own request
    assert task.data["assignee_note"] == "frank holds finance in the requester's department"
    case, _ = case_start(workflow=key, data={"amount": "5"}, actor=demo["alice"])
    (task,) = open_tasks(case)
    assert task.owner is None and task.owner_permission == "role:operators"
    assert "nobody else in the requester's department holds finance" in task.data["assignee_note"]


AUTHORITY = {"field": "amount", "default_up_to": 10000, "limits": [{"user": "carol", "up_to": 100000}]}


@pytest.fixture
def limited(demo):
    from apps.definitions.services import definition_create, version_publish

    spec = {
        "fields": [AMOUNT],
        "stages": [
            {
                "key": "approval",
                "name": "Approval",
                "approvers": [{"key": "manager", "label": "Manager", "type": "manager", "authority": True}],
            }
        ],
        "authority": AUTHORITY,
    }
    draft = definition_create(key="limited", name="Limited", spec=spec, actor=demo["olivia"])
    version_publish(version=draft, actor=demo["olivia"])
    return "limited"


@pytest.mark.parametrize(
    ("amount", "approver", "note"),
    [
        ("5000", "bob", "bob may approve up to 10,000: Amount 5,000 is within it"),
        (
            "25000",
            "carol",
            "bob may approve up to 10,000; carol may approve up to 100,000: Amount 25,000 is above the lower "
            "levels' limits, so the next level up approves",
        ),
        (
            "500000",
            "carol",
            "bob may approve up to 10,000; carol may approve up to 100,000: nobody in the chain may approve "
            "Amount 500,000; the top of the chain approves",
        ),
    ],
)
def test_authority_limits_route_above_a_managers_limit_to_the_next_level(limited, demo, amount, approver, note):
    case, _ = case_start(workflow=limited, data={"amount": amount}, actor=demo["alice"])
    (task,) = open_tasks(case)
    assert task.owner == demo[approver]
    assert task.data["assignee_note"] == note
    (routed,) = case.route["approvers"]
    assert routed["authority"]["chain"][0] == {"username": "bob", "up_to": "10000"}


def test_a_role_limit_raises_a_managers_authority(limited, demo):
    from apps.definitions.models import DefinitionVersion
    from apps.definitions.services import draft_create_from, draft_update, version_publish

    live = DefinitionVersion.objects.get(definition__key=limited, status="published")
    draft = draft_create_from(version=live, actor=demo["olivia"])
    spec = {**live.spec, "authority": {**AUTHORITY, "limits": [{"role": "finance", "up_to": 50000}]}}
    draft = draft_update(version=draft, spec=spec, actor=demo["olivia"])
    version_publish(version=draft, actor=demo["olivia"])
    from django.contrib.auth.models import Group

    demo["bob"].groups.add(Group.objects.get(name="finance"))
    case, _ = case_start(workflow=limited, data={"amount": "25000"}, actor=demo["alice"])
    (task,) = open_tasks(case)
    assert task.owner == demo["bob"]
    assert task.data["assignee_note"] == "bob may approve up to 50,000: Amount 25,000 is within it"
