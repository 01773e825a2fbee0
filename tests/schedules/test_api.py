"""GET/POST /api/v1/schedules/ and GET/PATCH /api/v1/schedules/{id}/: owners only, 400 naming the field."""

import pytest

from apps.schedules.models import WorkflowSchedule

from .conftest import PURCHASE

pytestmark = pytest.mark.django_db

URL = "/api/v1/schedules/"


def _body(**values):
    return {
        "workflow": "purchase-approval",
        "name": "Weekly order",
        "cron": "0 9 * * 1",
        "requester": "alice",
        "data": dict(PURCHASE),
        **values,
    }


def test_an_owner_schedules_a_workflow_and_lists_it(signed_in):
    client = signed_in("olivia")

    made = client.post(URL, _body(), content_type="application/json")

    assert made.status_code == 201, made.json()
    body = made.json()
    assert made["Location"] == f"/api/v1/schedules/{body['id']}/"
    assert body["workflow"] == "purchase-approval" and body["requester"] == "alice"
    assert body["kind"] == "cron" and body["is_active"] is True and body["next_due_at"] and body["runs"] == []
    listed = client.get(URL, {"workflow": "purchase-approval"}).json()
    assert [s["name"] for s in listed] == ["Weekly order"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"cron": "61 * * * *"}, "cron"),
        ({"kind": "business_days", "every_days": "two"}, "every_days"),
        ({"kind": "business_days"}, "every_days"),
        ({"requester": "ghost"}, "requester"),
        ({"data": {**PURCHASE, "amount": "lots"}}, "data.amount"),
        ({"workflow": "no-such-workflow"}, "workflow"),
    ],
)
def test_bad_input_answers_400_naming_the_field(signed_in, values, field):
    answer = signed_in("olivia").post(URL, _body(**values), content_type="application/json")

    assert answer.status_code == 400
    assert list(answer.json()["errors"]) == [field]
    assert not WorkflowSchedule.objects.exists()


def test_people_who_do_not_own_the_workflow_may_neither_list_nor_schedule(signed_in):
    alice = signed_in("alice")
    assert alice.get(URL).status_code == 403
    assert alice.post(URL, _body(), content_type="application/json").status_code == 403
    assert not WorkflowSchedule.objects.exists()


def test_an_owner_pauses_a_schedule_and_others_cannot_touch_it(signed_in):
    olivia = signed_in("olivia")
    made = olivia.post(URL, _body(), content_type="application/json").json()

    paused = olivia.patch(f"{URL}{made['id']}/", {"is_active": False}, content_type="application/json")
    assert paused.status_code == 200 and paused.json()["is_active"] is False
    bad = olivia.patch(f"{URL}{made['id']}/", {"cron": "nope"}, content_type="application/json")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["cron"]

    alice = signed_in("alice")
    assert alice.get(f"{URL}{made['id']}/").status_code == 403
    assert alice.patch(f"{URL}{made['id']}/", {"is_active": True}, content_type="application/json").status_code == 403
    assert alice.get(f"{URL}999999/").status_code == 404
