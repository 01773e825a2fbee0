"""'Send a test event' for a webhook subscription (issue 12): a signed ping the receiver can check,
audited, only for those who manage webhooks, never to an inactive subscription."""

import json

from apps.audit.models import AuditEvent
from apps.integrations.models import WebhookDelivery

from .test_webhook_deliver import verify


def test_a_test_event_reaches_the_receiver_signed(
    client, users, subscribe, httpserver, django_capture_on_commit_callbacks
):
    subscription = subscribe()
    httpserver.expect_request("/hook", method="POST").respond_with_data("pong")
    client.force_login(users["ivan"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/integrations/{subscription.pk}/test/", follow=True)

    assert "Test event sent" in response.content.decode()
    (request, _), *_ = httpserver.log
    assert verify(subscription.secret, request) and request.headers["X-WMS-Event"] == "ping"
    body = json.loads(request.get_data())
    assert body["event"] == "ping" and body["subscription"] == {"id": subscription.pk, "name": "ERP"}
    delivery = WebhookDelivery.objects.get(event="ping")
    assert delivery.status == "delivered"
    assert AuditEvent.objects.filter(action="webhook.tested", actor=users["ivan"]).exists()


def test_only_webhook_managers_send_it_and_never_to_an_inactive_subscription(client, users, subscribe):
    subscription = subscribe()
    client.force_login(users["oscar"])
    assert client.post(f"/integrations/{subscription.pk}/test/").status_code == 403
    subscription.is_active = False
    subscription.save()
    client.force_login(users["ivan"])
    page = client.post(f"/integrations/{subscription.pk}/test/", follow=True).content.decode()
    assert "inactive" in page and not WebhookDelivery.objects.exists()
