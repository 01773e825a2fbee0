"""Managing inbound endpoints: one set of services (apps.integrations.endpoints) for the portal and
`manage.py inbound_endpoint`; rotating, deactivating and activating are audited, never with the secret."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.audit.models import AuditEvent
from apps.core.errors import NotAllowed, NotFound, ValidationFailed
from apps.integrations import endpoints
from apps.integrations.models import InboundEndpoint

SECRET = "whsec_" + "s" * 40


@pytest.fixture
def endpoint(demo):
    return endpoints.endpoint_create(
        actor=demo["ivan"],
        slug="erp-orders",
        name="ERP orders",
        workflow="purchase-approval",
        run_as="alice",  # a username does, as in the portal's form and the command
        field_map={"amount": "order.total"},
        secret=SECRET,
    )


def _trail(endpoint):
    return list(
        AuditEvent.objects.filter(context__inbound_endpoint=endpoint.pk).order_by("pk").values_list("action", "data")
    )


def test_rotating_gives_a_new_generated_secret_audited_without_it(demo, endpoint):
    rotated = endpoints.endpoint_secret_rotate(actor=demo["ivan"], endpoint_id=endpoint.pk)
    stored = InboundEndpoint.objects.get(pk=endpoint.pk).secret
    assert rotated.secret == stored != SECRET and stored.startswith("whsec_")
    trail = _trail(endpoint)
    assert [action for action, _ in trail] == [endpoints.AUDIT_INBOUND_CREATED, endpoints.AUDIT_INBOUND_ROTATED]
    assert trail[1][1] == {"slug": "erp-orders"}
    assert SECRET not in json.dumps(trail) and stored not in json.dumps(trail)


def test_a_given_secret_on_rotation_is_checked(demo, endpoint):
    with pytest.raises(ValidationFailed) as refusal:
        endpoints.endpoint_secret_rotate(actor=demo["admin"], endpoint_id=endpoint.pk, secret="short")
    assert refusal.value.field_errors == {"secret": [endpoints.MSG_SECRET_SHORT]}
    assert InboundEndpoint.objects.get(pk=endpoint.pk).secret == SECRET


def test_deactivating_and_activating_are_audited_once_each(demo, endpoint):
    for _ in range(2):  # asking twice changes nothing the second time
        assert not endpoints.endpoint_deactivate(actor=demo["admin"], endpoint_id=endpoint.pk).is_active
    assert endpoints.endpoint_activate(actor=demo["ivan"], endpoint_id=endpoint.pk).is_active
    assert [action for action, _ in _trail(endpoint)] == [
        endpoints.AUDIT_INBOUND_CREATED,
        endpoints.AUDIT_INBOUND_DEACTIVATED,
        endpoints.AUDIT_INBOUND_ACTIVATED,
    ]


@pytest.mark.parametrize("username", ["alice", "oscar", "olivia"])
def test_only_integrators_and_admins_manage_endpoints(demo, endpoint, username):
    for change in (endpoints.endpoint_secret_rotate, endpoints.endpoint_deactivate, endpoints.endpoint_activate):
        with pytest.raises(NotAllowed):
            change(actor=demo[username], endpoint_id=endpoint.pk)
    assert InboundEndpoint.objects.get(pk=endpoint.pk).secret == SECRET
    assert len(_trail(endpoint)) == 1


def test_an_unknown_endpoint_is_not_found(demo):
    with pytest.raises(NotFound):
        endpoints.endpoint_secret_rotate(actor=demo["ivan"], endpoint_id=999_999)


def test_field_map_lines_are_parsed_and_a_bad_one_is_named():
    assert endpoints.field_map_parse(["amount = order.total", "", "vendor=order.supplier.name"]) == {
        "amount": "order.total",
        "vendor": "order.supplier.name",
    }
    with pytest.raises(ValidationFailed) as refusal:
        endpoints.field_map_parse(["amount=order.total", "oops"])
    assert refusal.value.field_errors == {"field_map": ["'oops' is not field=dotted.path."]}


def test_the_command_rotates_deactivates_and_activates_through_the_same_services(demo, endpoint):
    out = StringIO()
    call_command("inbound_endpoint", "--by=ivan", "--slug=erp-orders", "--rotate", stdout=out)
    secret = InboundEndpoint.objects.get(pk=endpoint.pk).secret
    assert secret != SECRET and secret in out.getvalue()
    call_command("inbound_endpoint", "--by=ivan", "--slug=erp-orders", "--deactivate", stdout=StringIO())
    assert not InboundEndpoint.objects.get(pk=endpoint.pk).is_active
    call_command("inbound_endpoint", "--by=admin", "--slug=erp-orders", "--activate", stdout=StringIO())
    assert InboundEndpoint.objects.get(pk=endpoint.pk).is_active
    assert [action for action, _ in _trail(endpoint)][1:] == [
        endpoints.AUDIT_INBOUND_ROTATED,
        endpoints.AUDIT_INBOUND_DEACTIVATED,
        endpoints.AUDIT_INBOUND_ACTIVATED,
    ]
    with pytest.raises(CommandError, match="Only integrators and administrators"):
        call_command("inbound_endpoint", "--by=alice", "--slug=erp-orders", "--rotate", stdout=StringIO())
    with pytest.raises(CommandError, match="No such inbound endpoint"):
        call_command("inbound_endpoint", "--by=ivan", "--slug=nope", "--rotate", stdout=StringIO())
