"""The task page asks the approver for the fields their step fills in (security records the
access granted), shows the service's error at the field, and keeps the value."""

from datetime import date, timedelta

from apps.cases.services import case_start, task_complete
from tests.conftest import open_tasks, reload


def test_the_security_step_asks_for_the_access_granted(demo, signed_in):
    values = {
        "system": "ERP production",
        "system_owner": "ivan",
        "ticket_reference": "SD-1",
        "justification": "Closing",
        "access_expires": (date.today() + timedelta(days=7)).isoformat(),
    }
    case, _ = case_start(workflow="access-request", data=values, actor=demo["alice"])
    task_complete(task_id=open_tasks(case)[0].pk, actor=demo["ivan"], decision="approve")
    (task,) = open_tasks(reload(case))
    sam = signed_in("sam")

    page = sam.get(f"/tasks/{task.pk}/")
    assert page.status_code == 200
    assert b"Access granted (required to approve)" in page.content

    refused = sam.post(f"/tasks/{task.pk}/decide/", {"decision": "approve"})
    assert refused.status_code == 400
    assert b"This field is required." in refused.content

    sam.post(f"/tasks/{task.pk}/decide/", {"decision": "approve", "access_granted": "Role ERP_READ"})
    assert reload(case).data["access_granted"] == "Role ERP_READ"
    history = signed_in("alice").get(f"/cases/{case.pk}/")
    assert b"Entered at this step" in history.content
    assert b"Access granted: Role ERP_READ" in history.content


def test_the_start_form_does_not_ask_for_what_approvers_fill_in(demo, signed_in):
    page = signed_in("alice").get("/requests/new/access-request/")
    assert page.status_code == 200
    assert b"Ticket reference" in page.content
    assert b"Access granted" not in page.content
