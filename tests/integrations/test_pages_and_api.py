"""Who sees what: portal pages and the API under one permission policy."""

import pytest
from rest_framework.test import APIClient

from apps.integrations.models import WebhookDelivery, WebhookSubscription


@pytest.fixture
def dead(httpserver, subscribe, publish):
    subscribe()
    httpserver.expect_request("/hook").respond_with_data("no", status=410)
    (delivery,) = publish()
    return WebhookDelivery.objects.get(pk=delivery.pk)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("path", ["/integrations/", "/integrations/dead-letters/", "/integrations/new/"])
def test_bob_is_refused_every_page(client, users, path):
    client.force_login(users["bob"])
    assert client.get(path).status_code == 403


def test_admin_sees_the_pages(client, users, dead):
    client.force_login(users["admin"])
    assert "ERP" in client.get("/integrations/").content.decode()
    page = client.get(f"/integrations/{dead.subscription_id}/").content.decode()
    assert str(dead.delivery_id) in page and "badge bad" in page and "410" in page
    assert client.get("/integrations/dead-letters/").status_code == 200


def test_creating_in_the_portal_shows_the_secret_once(client, users, receiver):
    client.force_login(users["ivan"])
    response = client.post("/integrations/new/", {"name": "ERP", "url": receiver, "events": ["case.closed"]})
    subscription = WebhookSubscription.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/integrations/{subscription.pk}/created/"
    assert subscription.secret in client.get(response["Location"]).content.decode()
    reloaded = client.get(response["Location"]).content.decode()  # a reload creates nothing, shows nothing
    assert subscription.secret not in reloaded and "shown once" in reloaded
    assert WebhookSubscription.objects.count() == 1
    assert subscription.secret not in client.get(f"/integrations/{subscription.pk}/").content.decode()
    assert subscription.secret not in client.get(f"/integrations/{subscription.pk}/edit/").content.decode()


def test_portal_form_names_the_bad_fields(client, users):
    client.force_login(users["ivan"])
    page = client.post("/integrations/new/", {"name": "", "url": "ftp://x", "events": []}).content.decode()
    assert "Give the subscription a name." in page and "Enter a full http://" in page
    assert not WebhookSubscription.objects.exists()


def test_operator_redelivers_a_dead_one_from_the_dead_letters(
    client, users, dead, httpserver, django_capture_on_commit_callbacks
):
    client.force_login(users["oscar"])
    assert client.get(f"/integrations/{dead.subscription_id}/edit/").status_code == 403
    assert str(dead.delivery_id) in client.get("/integrations/dead-letters/").content.decode()
    httpserver.clear()
    httpserver.expect_request("/hook").respond_with_data("ok")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/integrations/deliveries/{dead.pk}/redeliver/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="delivery-' in response.content.decode()
    dead.refresh_from_db()
    assert dead.status == "delivered" and httpserver.log[0][0].headers["X-WMS-Delivery"] == str(dead.delivery_id)


def test_api_permissions(users, dead):
    bob, oscar, ivan = api(users["bob"]), api(users["oscar"]), api(users["ivan"])
    sid = dead.subscription_id
    assert bob.get("/api/v1/webhooks/").status_code == 403
    assert bob.get(f"/api/v1/webhooks/{sid}/deliveries/").status_code == 403
    assert bob.post(f"/api/v1/webhooks/deliveries/{dead.pk}/redeliver/").json()["detail"]
    body = {"name": "x", "url": "https://x.example.com", "events": ["case.closed"]}
    assert oscar.post("/api/v1/webhooks/", body, format="json").status_code == 403
    assert oscar.patch(f"/api/v1/webhooks/{sid}/", {"name": "y"}, format="json").status_code == 403
    assert oscar.delete(f"/api/v1/webhooks/{sid}/").status_code == 403
    assert oscar.get(f"/api/v1/webhooks/{sid}/deliveries/").json()[0]["status"] == "dead"
    assert ivan.get("/api/v1/webhooks/").json()[0]["name"] == "ERP"
    assert "secret" not in ivan.get(f"/api/v1/webhooks/{sid}/").json()


def test_api_manages_subscriptions(users, receiver):
    admin = api(users["admin"])
    created = admin.post(
        "/api/v1/webhooks/", {"name": "ERP", "url": receiver, "events": ["case.closed"]}, format="json"
    )
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    sid = created.json()["id"]
    changed = admin.patch(f"/api/v1/webhooks/{sid}/", {"events": ["task.created"]}, format="json")
    assert changed.json()["events"] == ["task.created"]
    assert admin.delete(f"/api/v1/webhooks/{sid}/").json()["is_active"] is False
    assert admin.get("/api/v1/webhooks/999/").status_code == 404


def test_api_errors_in_the_one_shape(users):
    response = api(users["ivan"]).post(
        "/api/v1/webhooks/", {"name": "ERP", "url": "gopher://x", "events": ["nope"]}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"} and set(response.json()["errors"]) == {"url", "events"}


def test_api_redeliver(users, dead, httpserver, django_capture_on_commit_callbacks):
    httpserver.clear()
    httpserver.expect_request("/hook").respond_with_data("ok")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(users["oscar"]).post(f"/api/v1/webhooks/deliveries/{dead.pk}/redeliver/")
    assert response.status_code == 202 and response.json()["delivery_id"] == str(dead.delivery_id)
    again = api(users["oscar"]).post(f"/api/v1/webhooks/deliveries/{dead.pk}/redeliver/")
    assert again.status_code == 403  # delivered now: only integrators may send it again
