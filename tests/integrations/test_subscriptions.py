"""Managing subscriptions: validation naming the fields, permissions, audit, the secret."""

import pytest

from apps.audit.models import AuditEvent
from apps.core.errors import NotAllowed, ValidationFailed
from apps.integrations import services


def test_create_generates_a_strong_secret_and_audits_without_it(users):
    subscription = services.subscription_create(
        actor=users["ivan"], name=" ERP ", url="https://erp.example.com/h", events=["case.closed", "case.started"]
    )
    assert subscription.name == "ERP" and subscription.events == ["case.started", "case.closed"]
    assert subscription.secret.startswith("whsec_") and len(subscription.secret) >= 6 + 43
    event = AuditEvent.objects.get(action=services.AUDIT_SUBSCRIBED)
    assert event.actor == users["ivan"] and subscription.secret not in str(event.data)


def test_a_given_secret_is_kept(users):
    secret = "s" * 40
    subscription = services.subscription_create(
        actor=users["admin"], name="ERP", url="http://erp.local/h", events=["task.created"], secret=secret
    )
    assert subscription.secret == secret


def test_every_bad_field_is_named(users):
    with pytest.raises(ValidationFailed) as refusal:
        services.subscription_create(
            actor=users["ivan"],
            name="",
            url="ftp://erp.example.com/h",
            events=["case.started", "case.boom"],
            secret="short",
        )
    assert refusal.value.field_errors == {
        "name": [services.MSG_NAME_REQUIRED],
        "url": [services.MSG_URL_INVALID],
        "events": [services.MSG_EVENTS_UNKNOWN.format(names="case.boom")],
        "secret": [services.MSG_SECRET_SHORT],
    }
    with pytest.raises(ValidationFailed) as refusal:
        services.subscription_create(actor=users["ivan"], name="x", url="javascript:alert(1)", events=[])
    assert set(refusal.value.field_errors) == {"url", "events"}


def test_update_and_deactivate(users, subscribe):
    subscription = subscribe()
    changed = services.subscription_update(
        actor=users["admin"], subscription_id=subscription.pk, events=["case.closed"]
    )
    assert changed.events == ["case.closed"] and changed.secret == subscription.secret
    assert AuditEvent.objects.get(action=services.AUDIT_CHANGED).data == {
        "events": {"from": ["task.completed"], "to": ["case.closed"]}
    }
    assert not services.subscription_deactivate(actor=users["ivan"], subscription_id=subscription.pk).is_active


@pytest.mark.parametrize("who", ["bob", "oscar"])
def test_only_integrators_and_admins_manage(users, subscribe, who):
    with pytest.raises(NotAllowed):
        services.subscription_create(actor=users[who], name="x", url="https://x.example.com", events=["case.closed"])
    subscription = subscribe()
    with pytest.raises(NotAllowed):
        services.subscription_update(actor=users[who], subscription_id=subscription.pk, name="y")
    with pytest.raises(NotAllowed):
        services.subscription_deactivate(actor=users[who], subscription_id=subscription.pk)
