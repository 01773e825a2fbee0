"""The policy-exception template through the real engine: approvals that grow with the risk,
a rejection with its reason, the approver's task page counting the similar exceptions of the
same requester and the same policy in the last 12 months (`similar_cases`), an expiry date that
may not be in the past, and the scheduled step that records the exception's end on that date."""

import json
import re
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.audit.models import Action
from apps.automation.models import StepRun, StepStatus
from apps.cases.models import CaseState
from apps.cases.selectors import case_similar_counts
from apps.cases.services import case_start, case_start_test, task_complete
from apps.definitions.accessors import spec_of
from apps.definitions.fields import MSG_PAST_DATE
from apps.definitions.library import LIBRARY
from apps.definitions.spec import validate_spec
from tests.conftest import events, open_tasks, reload, task_for
from tests.steps.conftest import TOKEN

pytestmark = pytest.mark.django_db

END = "/erp/policy-exceptions/ends"
EXPIRES = "2027-03-31"
EXCEPTION = {
    "policy": "remote-access",
    "exception": "Work from a client site for three weeks",
    "rationale": "The client's network blocks our VPN.",
    "risk": "low",
    "expires_on": EXPIRES,
}


@pytest.fixture
def register(httpserver):
    """The policy register the expiry step calls (the demo ERP's endpoint, stood in for here)."""
    from django.test import override_settings

    with override_settings(WMS_ENDPOINTS={"ERP": httpserver.url_for("/erp")}, WMS_SECRETS={"ERP_TOKEN": TOKEN}):
        yield httpserver


def _expiry_sweep(django_capture_on_commit_callbacks, *, day=EXPIRES, hour=9):
    """The step sweep (as its q2 schedule runs it) on the morning of `day`."""
    from apps.automation.services import step_retry_due

    moment = datetime.combine(date.fromisoformat(day), time(hour), tzinfo=timezone.get_default_timezone())
    with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
        return step_retry_due()


def _start(actor, **data):
    case, _ = case_start(workflow="policy-exception", data={**EXCEPTION, **data}, actor=actor)
    return reload(case)


def _labels(case):
    return sorted(t.data["label"] for t in open_tasks(case))


def test_approvals_grow_with_the_risk_and_all_must_approve(demo):
    assert _labels(_start(demo["alice"])) == ["Manager approval"]
    assert _labels(_start(demo["alice"], risk="medium")) == ["Manager approval", "Policy owner approval"]

    case = _start(demo["alice"], risk="high", compensating_controls="Read-only access")
    assert _labels(case) == ["Manager approval", "Policy owner approval", "Risk & compliance approval"]
    for label, who in [("Manager approval", "bob"), ("Policy owner approval", "paula")]:
        task_complete(task_id=task_for(case, label).pk, actor=demo[who], decision="approve")
    assert reload(case).state == CaseState.APPROVAL  # still waiting for risk & compliance
    task_complete(task_id=task_for(case, "Risk & compliance approval").pk, actor=demo["rita"], decision="approve")
    case = reload(case)
    # Approved: in force until its expiry date, when the scheduled step ends it.
    assert (case.state, case.outcome) == (CaseState.WAITING, None)
    assert (
        case.route["summary"]
        == f"Waiting until {EXPIRES} (Expires on), then Policy register: End the exception on expiry."
    )


def test_on_the_expiry_date_the_step_records_the_end_and_the_case_closes(
    demo, register, django_capture_on_commit_callbacks
):
    register.expect_request(END, method="POST").respond_with_json({"reference": "END-1", "status": "ended"})
    with django_capture_on_commit_callbacks(execute=True):
        case = _start(demo["alice"])
        task_complete(task_id=task_for(case, "Manager approval").pk, actor=demo["bob"], decision="approve")
    run = StepRun.objects.get(case=case)
    assert run.status == StepStatus.PENDING and register.log == []  # nothing is called before the day

    assert _expiry_sweep(django_capture_on_commit_callbacks, day="2027-03-30", hour=23) == 0
    assert register.log == []
    assert _expiry_sweep(django_capture_on_commit_callbacks) == 1
    ((request, _),) = register.log
    assert request.headers["Idempotency-Key"] == f"wms-{case.pk}-expiry-r1"
    assert json.loads(request.get_data()) == {
        "case": case.pk,
        "policy": "remote-access",
        "exception": "Work from a client site for three weeks",
        "expires_on": EXPIRES,
    }
    case = reload(case)
    assert (case.state, case.outcome, case.is_open) == (CaseState.APPROVED, "approved", False)
    assert case.data["end_reference"] == "END-1"


def test_when_the_register_refuses_the_end_the_case_goes_to_the_exception_queue(
    demo, register, django_capture_on_commit_callbacks
):
    register.expect_request(END, method="POST").respond_with_json({"message": "Register locked"}, status=422)
    with django_capture_on_commit_callbacks(execute=True):
        case = _start(demo["alice"])
        task_complete(task_id=task_for(case, "Manager approval").pk, actor=demo["bob"], decision="approve")
    _expiry_sweep(django_capture_on_commit_callbacks)
    case = reload(case)
    assert case.state == CaseState.EXCEPTION and case.is_open
    assert StepRun.objects.get(case=case).status == StepStatus.EXCEPTION
    assert events(case, Action.STEP_FAILED)


def test_an_expiry_date_in_the_past_is_refused_at_intake_naming_the_field(demo):
    from apps.core.errors import ValidationFailed

    yesterday = timezone.localdate() - timedelta(days=1)
    with pytest.raises(ValidationFailed) as refused:
        _start(demo["alice"], expires_on=yesterday.isoformat())
    today = timezone.localdate().isoformat()
    assert refused.value.field_errors == {"expires_on": [MSG_PAST_DATE.format(label="Expires on", today=today)]}
    assert "Expires on cannot be in the past" in refused.value.field_errors["expires_on"][0]
    assert _start(demo["alice"], expires_on=today).data["expires_on"] == today  # today is allowed


def test_the_rationale_and_the_expiry_date_are_required(demo):
    from apps.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        case_start(
            workflow="policy-exception",
            data={**EXCEPTION, "rationale": "", "expires_on": "soon"},
            actor=demo["alice"],
        )
    assert set(refused.value.field_errors) == {"rationale", "expires_on"}


def test_a_rejection_closes_the_request_with_its_reason(demo):
    case = _start(demo["alice"], risk="medium")
    task_complete(
        task_id=task_for(case, "Policy owner approval").pk,
        actor=demo["paula"],
        decision="reject",
        reason_code="change_the_policy",
        reason="Third request this year: we will change the remote-access policy instead.",
    )
    case = reload(case)
    assert (case.state, case.outcome) == (CaseState.REJECTED, "rejected")
    assert "Recurring: change the policy instead" in case.closed_reason
    assert "we will change the remote-access policy" in case.closed_reason
    assert open_tasks(case) == []  # the manager's parallel approval is withdrawn


def test_the_approver_sees_how_many_similar_exceptions_the_requester_and_the_policy_had(demo, client):
    with time_machine.travel(timezone.now() - timedelta(days=400)):
        _start(demo["alice"])  # older than 12 months: not counted
    earlier = _start(demo["alice"])
    task_complete(task_id=task_for(earlier, "Manager approval").pk, actor=demo["bob"], decision="approve")
    _start(demo["alice"], policy="password", exception="Keep my password for a month")
    _start(demo["bob"])  # same policy, another requester (carol approves it)
    case = _start(demo["alice"])

    client.force_login(demo["bob"])
    page = client.get(f"/tasks/{task_for(case, 'Manager approval').pk}/")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.content.decode()))
    assert "Similar requests in the last 12 months" in text
    # alice: 2 others in 12 months (remote-access approved, password), the 400-day-old one left out
    assert re.search(r"Requested by Alice Adams 2 1 ", text), text
    # remote-access: alice's approved one and bob's
    assert re.search(r"Policy: remote-access 2 1 ", text), text


def test_the_count_is_one_query_and_leaves_out_test_cases_and_other_workflows(
    demo, django_assert_num_queries, start_purchase
):
    case = _start(demo["alice"])
    _start(demo["alice"])
    start_purchase()
    case_start_test(version=case.version, data=EXCEPTION, actor=demo["olivia"], requester=demo["alice"])
    similar = spec_of(case.version).similar_cases
    with django_assert_num_queries(1):
        counts = case_similar_counts(case=case, similar=similar)
    assert counts == [
        {"same": "requester", "value": "", "count": 1, "approved": 0},
        {"same": "policy", "value": "remote-access", "count": 1, "approved": 0},
    ]


def test_other_workflows_show_no_similar_requests(demo, client, start_purchase):
    case = start_purchase()
    client.force_login(demo["bob"])
    page = client.get(f"/tasks/{task_for(case, 'Manager approval').pk}/")
    assert page.status_code == 200 and "Similar requests" not in page.content.decode()


@pytest.mark.parametrize(
    "similar, problem",
    [
        ({"months": 0, "same": ["requester"]}, "similar_cases: months must be a whole number from 1 to 36."),
        ({"months": 12, "same": []}, 'similar_cases: same must list "requester" or field names, each once.'),
        ({"months": 12, "same": ["nope"]}, "similar_cases: unknown field 'nope'."),
        ({"months": 12, "same": ["rationale"]}, "similar_cases: field 'rationale' is textarea;"),
    ],
)
def test_a_wrong_similar_cases_setting_is_refused_in_words(similar, problem):
    template = next(t for t in LIBRARY if t["key"] == "policy-exception")
    problems = validate_spec({**template["spec"], "similar_cases": similar})
    assert len(problems) == 1 and problems[0].startswith(problem), problems


def test_the_diff_shows_a_changed_similar_cases_setting():
    from apps.definitions.diff import spec_diff

    spec = next(t for t in LIBRARY if t["key"] == "policy-exception")["spec"]
    changed = {**spec, "similar_cases": {"months": 24, "same": ["policy"]}}
    (settings,) = [s for s in spec_diff(spec, changed) if s["title"] == "Settings"]
    assert settings["changes"] == [
        {
            "kind": "setting",
            "name": "similar requests shown to approvers",
            "change": "changed",
            "rows": [
                {"attr": "months", "old": "12", "new": "24"},
                {"attr": "same", "old": "requester, policy", "new": "policy"},
            ],
        }
    ]
    assert [s["changes"] for s in spec_diff(spec, spec) if s["title"] == "Settings"] == [[]]


def test_the_procedures_state_each_stage_sla_and_the_similar_requests(demo, client):
    client.force_login(demo["alice"])
    policy = client.get("/workflows/policy-exception/v1/sop/").content.decode()
    assert (
        "Approvers see how many other requests had the same requester / the same Policy in the last 12 months" in policy
    )
    assert "today or later" in policy  # expires_on is not_past
    assert "End the exception on expiry" in policy and "Expires on" in policy
    it = client.get("/workflows/it-service-request/v1/sop/").content.decode()
    # Each stage's own SLA, not the spec-wide approval policy.
    assert "decide within 4 business hours (remind after 2 h, escalate after 4 h)" in it
    assert "decide within 8 hours (notify after 1 h, escalate after 4 h, reroute after 8 h)" in it


@pytest.mark.parametrize(
    "change",
    [
        {"name": "risk", "not_past": True},  # a choice field
        {"name": "expires_on", "not_past": "yes"},
    ],
)
def test_not_past_is_refused_unless_true_or_false_on_a_date_field(change):
    spec = next(t for t in LIBRARY if t["key"] == "policy-exception")["spec"]
    fields = [{**f, **change} if f["name"] == change["name"] else f for f in spec["fields"]]
    problems = validate_spec({**spec, "fields": fields})
    assert problems == [f"Field '{change['name']}': not_past is true or false, and only on a date field."]
