"""The demo ticketing system's API (token, one ticket per Idempotency-Key, close, down mode) and
its operators' page."""

import json

import pytest
from django.conf import settings

from apps.demo import ticketing
from apps.demo.models import DemoTicket, TicketDeskSettings
from apps.demo.services import MSG_UNAUTHORIZED

URL = "/demo/tickets/api/tickets"
TICKET = {"summary": "VPN drops", "category": "network", "priority": "high", "case": "7"}


@pytest.fixture
def desk(client):
    def call(method="post", path=URL, body=TICKET, key="wms-7-open_ticket-r1", token=None):
        headers = {
            "Authorization": f"Bearer {token or settings.WMS_SECRETS['TICKETING_TOKEN']}",
            "Idempotency-Key": key,
        }
        if method == "delete":
            return client.delete(path, headers=headers)
        return client.post(path, data=json.dumps(body), content_type="application/json", headers=headers)

    return call


@pytest.mark.django_db
def test_a_ticket_is_opened_once_per_key_and_closed_by_its_number(desk):
    first, again = desk(), desk()
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    ticket = DemoTicket.objects.get()
    assert first.json()["number"] == ticket.number == f"TCK-{ticket.pk:06d}"
    assert again.headers["Idempotent-Replayed"] == "true"
    reused = desk(body={**TICKET, "summary": "Something else"})
    assert reused.status_code == 422 and reused.json() == {"message": ticketing.MSG_KEY_REUSED}
    closed = desk(method="delete", path=f"{URL}/{ticket.number}")
    assert closed.status_code == 200 and closed.json() == {"number": ticket.number, "status": "closed"}
    assert desk(method="delete", path=f"{URL}/TCK-999999").status_code == 404


@pytest.mark.django_db
def test_a_ticket_needs_the_token_and_a_summary(desk):
    refused = desk(token="wrong")
    assert refused.status_code == 401 and refused.json() == {"message": MSG_UNAUTHORIZED}
    empty = desk(body={**TICKET, "summary": " "})
    assert empty.status_code == 422 and empty.json() == {"message": ticketing.MSG_SUMMARY_REQUIRED}
    assert not DemoTicket.objects.exists()


@pytest.mark.django_db
def test_down_answers_503_and_opens_nothing(desk):
    TicketDeskSettings.objects.create(pk=1, mode="down")
    answer = desk()
    assert answer.status_code == 503 and answer.json() == {"message": ticketing.MSG_DOWN}
    assert not DemoTicket.objects.exists()


def test_an_operator_switches_the_desk_down_and_others_are_refused(client, demo):
    client.force_login(demo["alice"])
    assert client.get("/demo/tickets/").status_code == 403
    assert client.post("/demo/tickets/mode/", {"mode": "down"}).status_code == 403
    client.force_login(demo["oscar"])
    page = client.get("/demo/tickets/").content.decode()
    assert "No tickets opened yet." in page and "Switch to down" in page
    answer = client.post("/demo/tickets/mode/", {"mode": "down"}, follow=True)
    assert ticketing.MSG_MODE_SET.format(mode="down") in answer.content.decode()
    assert TicketDeskSettings.objects.get().mode == "down"
    unknown = client.post("/demo/tickets/mode/", {"mode": "on_fire"}, follow=True).content.decode()
    assert ticketing.MSG_MODE_UNKNOWN.format(mode="on_fire", modes="ok, down") in unknown
