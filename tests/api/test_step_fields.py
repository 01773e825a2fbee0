"""The API's task completion takes the fields a step fills in (security records the access
granted): listed on the task, 400 naming the field when missing or invalid, kept when valid."""

from datetime import date, timedelta

from apps.cases.models import Case

TASKS = "/api/v1/tasks/"


def access_request(api, **data):
    values = {
        "system": "ERP production",
        "access_level": "read",
        "system_owner": "ivan",
        "ticket_reference": "SD-4711",
        "justification": "Month-end closing",
        "access_expires": (date.today() + timedelta(days=30)).isoformat(),
        **data,
    }
    response = api("alice").post("/api/v1/cases/", {"workflow": "access-request", "data": values}, format="json")
    return response


def open_task(api, username):
    (task,) = [t for t in api(username).get(TASKS).json() if t["status"] == "open"]
    return task


def test_the_security_task_takes_the_access_granted_through_the_api(api):
    started = access_request(api)
    assert started.status_code == 201, started.content
    owner_task = open_task(api, "ivan")
    assert owner_task["step_fields"] == []
    assert (
        api("ivan").post(f"{TASKS}{owner_task['id']}/complete/", {"decision": "approve"}, format="json").status_code
        == 200
    )

    security = open_task(api, "sam")
    assert security["step_fields"] == ["access_granted"]
    missing = api("sam").post(f"{TASKS}{security['id']}/complete/", {"decision": "approve"}, format="json")
    assert missing.status_code == 400
    assert missing.json()["errors"] == {"access_granted": ["This field is required."]}
    wrong = api("sam").post(
        f"{TASKS}{security['id']}/complete/",
        {"decision": "approve", "data": {"access_granted": "read", "system": "CRM"}},
        format="json",
    )
    assert wrong.status_code == 400
    assert list(wrong.json()["errors"]) == ["system"]

    done = api("sam").post(
        f"{TASKS}{security['id']}/complete/",
        {"decision": "approve", "data": {"access_granted": "Role ERP_READ for alice"}},
        format="json",
    )
    assert done.status_code == 200, done.content
    case = Case.objects.get(pk=started.json()["id"])
    assert case.data["access_granted"] == "Role ERP_READ for alice"
    assert case.state == "waiting"


def test_intake_refuses_the_requester_as_system_owner_and_a_step_field(api):
    response = access_request(api, system_owner="alice", access_granted="everything")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "system_owner": ["Name someone other than yourself: the requester cannot be the system owner."],
        "access_granted": ["Filled in at the Security approval step, not by the requester."],
    }
