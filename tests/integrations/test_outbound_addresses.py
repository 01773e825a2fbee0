"""Webhook subscriptions reach public addresses only: refused when saved (a field error naming
`url`) and when sent (the name resolved at that moment, the checked address connected to).
Development and these tests let loopback through with WMS_OUTBOUND_ALLOWED_HOSTS."""

import socket
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from apps.core import netguard
from apps.core.errors import ValidationFailed
from apps.integrations import services
from apps.integrations.models import WebhookDelivery, WebhookSubscription

PUBLIC = "93.184.215.14"
NAMES = {
    "private.example": ["10.0.0.5"],
    "loopback.example": ["127.0.0.1"],
    "metadata.example": ["169.254.169.254"],
    "v6-loopback.example": ["::1"],
    "v6-private.example": ["fd00::1"],
    "public.example": [PUBLIC],
    "partly-private.example": [PUBLIC, "10.0.0.5"],
}
no_allow_list = override_settings(WMS_OUTBOUND_ALLOWED_HOSTS=[])


@pytest.fixture
def dns(monkeypatch):
    """A fake resolver: NAMES (changeable by the test), anything else as the system resolves it."""
    names = dict(NAMES)
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host not in names:
            return real(host, port, family, type, proto, flags)
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port or 0, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port or 0))
            for a in names[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


REFUSED = [
    ("http://10.0.0.5/hook", "10.0.0.5 is a private network address"),
    ("http://127.0.0.1:8000/hook", "127.0.0.1 is this machine (loopback)"),
    ("http://localhost/hook", "localhost is this machine (loopback)"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata address"),
    ("http://[::1]/hook", "::1 is this machine (loopback)"),
    ("http://[fd00::1]/hook", "fd00::1 is a private network address"),
    ("http://[fd00:ec2::254]/latest", "fd00:ec2::254 is a cloud metadata address"),
    ("http://[::ffff:10.0.0.5]/hook", "::ffff:10.0.0.5 is a private network address"),
    ("https://private.example/hook", "private.example resolves to 10.0.0.5, a private network address"),
    ("https://loopback.example/hook", "loopback.example resolves to 127.0.0.1, this machine (loopback)"),
    ("https://metadata.example/hook", "metadata.example resolves to 169.254.169.254, a cloud metadata address"),
    ("https://v6-loopback.example/hook", "v6-loopback.example resolves to ::1, this machine (loopback)"),
    ("https://v6-private.example/hook", "v6-private.example resolves to fd00::1, a private network address"),
    ("https://partly-private.example/", "partly-private.example resolves to 10.0.0.5, a private network address"),
]


@no_allow_list
@pytest.mark.parametrize(("url", "problem"), REFUSED)
def test_saving_a_non_public_address_is_a_field_error_on_url(users, dns, url, problem):
    with pytest.raises(ValidationFailed) as refused:
        services.subscription_create(actor=users["ivan"], name="ERP", url=url, events=["case.closed"])
    assert refused.value.field_errors == {"url": [f"{problem}: only public addresses can be called from here."]}
    assert not WebhookSubscription.objects.exists()


@no_allow_list
def test_metadata_names_and_public_addresses(users, dns):
    with pytest.raises(ValidationFailed) as refused:
        services.subscription_create(
            actor=users["ivan"], name="x", url="http://metadata.google.internal/", events=["case.closed"]
        )
    assert refused.value.field_errors["url"] == [
        "metadata.google.internal is a cloud metadata service: it can never be called from here."
    ]
    subscription = services.subscription_create(
        actor=users["ivan"], name="ERP", url="https://public.example/hook", events=["case.closed"]
    )
    with pytest.raises(ValidationFailed) as moved:
        services.subscription_update(actor=users["ivan"], subscription_id=subscription.pk, url="http://10.0.0.5/")
    assert set(moved.value.field_errors) == {"url"}


def test_the_allow_list_never_lets_metadata_through(users, dns):
    with override_settings(WMS_OUTBOUND_ALLOWED_HOSTS=["0.0.0.0/0", "::/0", "metadata.example"]):
        for url in ("http://169.254.169.254/", "https://metadata.example/", "http://[fd00:ec2::254]/"):
            with pytest.raises(ValidationFailed):
                services.subscription_create(actor=users["ivan"], name="x", url=url, events=["case.closed"])
        assert services.subscription_create(
            actor=users["ivan"], name="x", url="http://10.0.0.5/", events=["case.closed"]
        )


@no_allow_list
def test_api_and_portal_name_url_and_the_problem(client, users, dns):
    api = APIClient()
    api.force_authenticate(users["ivan"])
    answer = api.post(
        "/api/v1/webhooks/",
        {"name": "ERP", "url": "http://169.254.169.254/latest", "events": ["case.closed"]},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["errors"] == {
        "url": ["169.254.169.254 is a cloud metadata address: only public addresses can be called from here."]
    }
    client.force_login(users["ivan"])
    page = client.post(
        "/integrations/new/", {"name": "ERP", "url": "https://private.example/h", "events": ["case.closed"]}
    )
    assert page.status_code == 200
    assert "private.example resolves to 10.0.0.5, a private network address" in page.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_a_name_that_resolves_to_a_private_address_when_sent_is_refused_without_connecting(
    users, dns, connections, publish, sweep
):
    """DNS rebinding: public when saved, private when sent. The delivery is dead at once, says
    why, and is not retried."""
    with no_allow_list:
        subscription = services.subscription_create(
            actor=users["ivan"], name="ERP", url="https://rebind.example/hook", events=["task.completed"]
        )
        dns["rebind.example"] = ["10.0.0.5"]
        (delivery,) = publish()
        delivery.refresh_from_db()
        assert connections == []
        assert delivery.status == "dead" and delivery.attempts == 1 and delivery.next_attempt_at is None
        assert delivery.last_status_code is None and delivery.last_response == ""
        assert delivery.last_error == services.MSG_ADDRESS_REFUSED.format(
            reason="rebind.example resolves to 10.0.0.5, a private network address:"
            " only public addresses can be called from here."
        )
        assert sweep(timezone.now() + timedelta(days=1)) == 0
    assert WebhookDelivery.objects.get().attempts == 1 and subscription.is_active


def test_the_allow_list_lets_the_test_server_through_and_only_it(users, dns, connections, httpserver, publish):
    httpserver.expect_request("/hook").respond_with_data("ok")
    port = urlsplit(httpserver.url_for("/")).port
    dns["receiver.test"] = ["127.0.0.1"]
    services.subscription_create(
        actor=users["ivan"], name="ERP", url=f"http://receiver.test:{port}/hook", events=["task.completed"]
    )
    with no_allow_list:
        (refused,) = publish()
    (delivered,) = publish()

    refused.refresh_from_db(), delivered.refresh_from_db()
    assert refused.status == "dead" and "receiver.test resolves to 127.0.0.1" in refused.last_error
    assert delivered.status == "delivered" and delivered.last_response == "ok"
    # Connected to the address that was checked; the receiver still sees the name it was given.
    assert connections == [("127.0.0.1", port)]
    ((request, _),) = httpserver.log
    assert request.headers["Host"] == f"receiver.test:{port}"


def test_netguard_judges_each_kind_of_address():
    assert netguard.address_kind(PUBLIC) is None and netguard.address_kind("2606:4700::1111") is None
    assert netguard.address_kind("10.0.0.5") == netguard.KIND_PRIVATE
    assert netguard.address_kind("127.0.0.1") == netguard.address_kind("::1") == netguard.KIND_LOOPBACK
    assert netguard.address_kind("169.254.169.254") == netguard.address_kind("fd00:ec2::254") == netguard.KIND_METADATA
    assert netguard.address_kind("fd00::1") == netguard.address_kind("::ffff:192.168.1.1") == netguard.KIND_PRIVATE
    assert netguard.address_kind("169.254.1.1") == netguard.address_kind("fe80::1%eth0") == netguard.KIND_LINK_LOCAL
    assert netguard.address_kind("0.0.0.0") == netguard.KIND_UNSPECIFIED
    assert netguard.address_kind("64:ff9b::a00:5") == netguard.address_kind("2002:a00:5::1") == netguard.KIND_PRIVATE
    assert netguard.address_kind("100.64.0.1") == netguard.KIND_OTHER
