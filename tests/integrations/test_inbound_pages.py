"""Inbound endpoints in the portal (issue 12): integrators and admins create one and see its secret
once, after a redirect; rotating shows the new one once and the old one stops working at once."""

import json
import time

import pytest
from django.test import Client

from apps.definitions.services import definition_create, version_publish
from apps.integrations import endpoints
from apps.integrations.models import InboundEndpoint
from apps.integrations.services import webhook_sign

FORM = {
    "name": "ERP orders",
    "slug": "erp-orders",
    "action": "start_case",
    "workflow": "purchase-approval",
    "run_as": "alice",
    "field_map": "amount=order.total\r\nvendor=order.supplier\r\ncost_center=order.cc\r\n",
}


@pytest.fixture
def signed_in(client, demo):
    def _as(username):
        client.force_login(demo[username])
        return client

    return _as


def hook(client, slug, secret, delivery):
    """A sender's signed call, as the README tells it to sign."""
    body = json.dumps({"order": {"total": "120.00", "supplier": "ACME Ltd", "cc": "CC-100"}}).encode()
    timestamp = int(time.time())
    return client.post(
        f"/api/v1/hooks/{slug}/",
        data=body,
        content_type="application/json",
        HTTP_X_WMS_DELIVERY=delivery,
        HTTP_X_WMS_TIMESTAMP=str(timestamp),
        HTTP_X_WMS_SIGNATURE=webhook_sign(secret=secret, delivery=delivery, timestamp=timestamp, body=body),
    )


def test_ivan_creates_an_endpoint_and_sees_its_url_and_secret_once(signed_in):
    client = signed_in("ivan")
    assert "New inbound endpoint" in client.get("/integrations/inbound/").content.decode()
    response = client.post("/integrations/inbound/new/", FORM)
    endpoint = InboundEndpoint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/integrations/inbound/{endpoint.pk}/created/"
    assert (endpoint.run_as.username, endpoint.field_map["vendor"], endpoint.created_by.username) == (
        "alice",
        "order.supplier",
        "ivan",
    )
    shown = client.get(response["Location"])
    page = shown.content.decode()
    assert endpoint.secret in page and "http://testserver/api/v1/hooks/erp-orders/" in page
    assert "no-store" in shown["Cache-Control"]

    reloaded = client.get(response["Location"]).content.decode()  # a reload creates nothing, shows nothing
    assert endpoint.secret not in reloaded and "shown once" in reloaded
    assert InboundEndpoint.objects.count() == 1
    listing = client.get("/integrations/inbound/").content.decode()
    assert "/api/v1/hooks/erp-orders/" in listing and endpoint.secret not in listing
    assert hook(Client(), "erp-orders", endpoint.secret, "d-1").status_code == 202


def test_rotating_shows_the_new_secret_once_and_the_old_one_stops_working(signed_in, demo):
    endpoint = endpoints.endpoint_create(actor=demo["admin"], secret="whsec_" + "o" * 40, **_service_form())
    old = endpoint.secret
    sender = Client()
    assert hook(sender, "erp-orders", old, "before").status_code == 202

    client = signed_in("ivan")
    response = client.post(f"/integrations/inbound/{endpoint.pk}/rotate/")
    assert response.status_code == 302 and response["Location"] == f"/integrations/inbound/{endpoint.pk}/rotated/"
    new = InboundEndpoint.objects.get(pk=endpoint.pk).secret
    page = client.get(response["Location"]).content.decode()
    assert new != old and new in page and old not in page and "old secret no longer works" in page
    assert new not in client.get(response["Location"]).content.decode()

    refused = hook(sender, "erp-orders", old, "after-old")
    assert refused.status_code == 401 and refused.json()["detail"] == "The signature does not match."
    assert hook(sender, "erp-orders", new, "after-new").status_code == 202


def test_deactivating_refuses_every_call_and_activating_takes_them_again(signed_in, demo):
    endpoint = endpoints.endpoint_create(actor=demo["admin"], **_service_form())
    client = signed_in("admin")
    assert client.post(f"/integrations/inbound/{endpoint.pk}/deactivate/").status_code == 302
    assert hook(Client(), "erp-orders", endpoint.secret, "d-1").status_code == 404
    page = client.get("/integrations/inbound/").content.decode()
    assert "deactivated" in page and "Activate" in page
    assert client.post(f"/integrations/inbound/{endpoint.pk}/activate/").status_code == 302
    assert hook(Client(), "erp-orders", endpoint.secret, "d-2").status_code == 202


def test_destructive_actions_ask_first(signed_in, demo):
    endpoints.endpoint_create(actor=demo["admin"], **_service_form())
    page = signed_in("ivan").get("/integrations/inbound/").content.decode()
    assert 'data-confirm="Rotate the secret of ERP orders? The old secret stops working at once' in page
    assert 'data-confirm="Deactivate ERP orders?' in page


def test_the_form_names_every_bad_field_with_a_400(signed_in, demo):
    endpoints.endpoint_create(actor=demo["admin"], **_service_form())
    client = signed_in("ivan")
    taken = client.post("/integrations/inbound/new/", {**FORM, "name": ""})
    assert taken.status_code == 400
    page = taken.content.decode()
    assert endpoints.MSG_SLUG_TAKEN in page and endpoints.MSG_NAME_REQUIRED in page

    bad = client.post(
        "/integrations/inbound/new/",
        {**FORM, "slug": "ERP Orders!", "run_as": "nobody", "workflow": "nope", "field_map": "amount"},
    )
    assert bad.status_code == 400
    page = bad.content.decode()
    for message in (
        endpoints.MSG_SLUG_INVALID.replace("'", "&#x27;"),
        endpoints.MSG_RUN_AS_REQUIRED,
        endpoints.MSG_WORKFLOW_UNKNOWN,
        "&#x27;amount&#x27; is not field=dotted.path.",
    ):
        assert message in page
    assert 'value="ERP Orders!"' in page  # what was typed comes back, but never a secret
    typed = "whsec_" + "t" * 40
    assert typed not in client.post("/integrations/inbound/new/", {**FORM, "secret": typed}).content.decode()
    assert InboundEndpoint.objects.count() == 1


def test_a_callback_endpoint_completes_a_wait_step_chosen_from_the_workflow(signed_in, demo):
    spec = {
        "fields": [{"name": "amount", "type": "decimal", "label": "Amount", "required": True}],
        "stages": [
            {"key": "customer", "name": "Wait for the customer", "type": "wait", "system": "Portal"},
            {"key": "approval", "name": "Approval", "approvers": [{"key": "manager", "type": "manager"}]},
        ],
    }
    version_publish(
        version=definition_create(key="waits", name="Waits", spec=spec, actor=demo["olivia"]), actor=demo["olivia"]
    )
    client = signed_in("ivan")
    form = client.get("/integrations/inbound/new/").content.decode()
    assert '<optgroup label="Waits">' in form and '<option value="customer"' in form
    values = {**FORM, "action": "complete_step", "workflow": "waits", "step": "customer", "case_path": "ref.case"}
    assert client.post("/integrations/inbound/new/", {**values, "step": "approval"}).status_code == 400
    assert client.post("/integrations/inbound/new/", {**values, "field_map": ""}).status_code == 302
    endpoint = InboundEndpoint.objects.get()
    assert (endpoint.action, endpoint.step, endpoint.case_path) == ("complete_step", "customer", "ref.case")


@pytest.mark.parametrize("username", ["alice", "oscar"])
def test_others_get_403_and_change_nothing(signed_in, demo, username):
    endpoint = endpoints.endpoint_create(actor=demo["admin"], **_service_form())
    client = signed_in(username)
    base = f"/integrations/inbound/{endpoint.pk}"
    for path in ("/integrations/inbound/new/", f"{base}/created/", f"{base}/rotated/"):
        assert client.get(path).status_code == 403, path
    for path in ("/integrations/inbound/new/", f"{base}/rotate/", f"{base}/deactivate/", f"{base}/activate/"):
        assert client.post(path, {**FORM, "slug": "other"}).status_code == 403, path
    after = InboundEndpoint.objects.get()
    assert (after.secret, after.is_active) == (endpoint.secret, True)
    if username == "oscar":  # operators watch the calls, without the buttons
        page = client.get("/integrations/inbound/").content.decode()
        assert "Rotate secret" not in page and "New inbound endpoint" not in page


def test_changes_need_the_csrf_token(demo):
    endpoint = endpoints.endpoint_create(actor=demo["admin"], **_service_form())
    client = Client(enforce_csrf_checks=True)
    client.force_login(demo["ivan"])
    assert client.post("/integrations/inbound/new/", {**FORM, "slug": "other"}).status_code == 403
    assert client.post(f"/integrations/inbound/{endpoint.pk}/rotate/").status_code == 403
    assert client.post(f"/integrations/inbound/{endpoint.pk}/deactivate/").status_code == 403
    assert InboundEndpoint.objects.get().secret == endpoint.secret


def test_rotating_is_a_post(signed_in, demo):
    endpoint = endpoints.endpoint_create(actor=demo["admin"], **_service_form())
    assert signed_in("ivan").get(f"/integrations/inbound/{endpoint.pk}/rotate/").status_code == 405
    assert InboundEndpoint.objects.get().secret == endpoint.secret


def _service_form():
    return {
        "slug": "erp-orders",
        "name": "ERP orders",
        "workflow": "purchase-approval",
        "run_as": "alice",
        "field_map": {"amount": "order.total", "vendor": "order.supplier", "cost_center": "order.cc"},
    }
