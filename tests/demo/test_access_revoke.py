"""The demo access control's revoke call (served by the demo ERP) that the access-request
template's expiry step makes: the token, one effect per Idempotency-Key, what it needs."""

import json

import pytest
from django.conf import settings

from apps.demo import services
from apps.demo.models import ErpCall

URL = "/demo/erp/access/revocations"
BODY = {"case": 7, "ticket": "SD-4711", "system": "ERP production", "access": "Role ERP_READ"}


def revoke(client, body=BODY, key="wms-7-revoke-r1", token=None):
    headers = {"Authorization": f"Bearer {token or settings.WMS_SECRETS['ERP_TOKEN']}", "Idempotency-Key": key}
    return client.post(URL, data=json.dumps(body), content_type="application/json", headers=headers)


@pytest.mark.django_db
def test_a_revocation_answers_its_reference_and_takes_effect_once_per_key(client):
    first, again = revoke(client), revoke(client)
    assert first.status_code == again.status_code == 200
    assert first.json()["status"] == "revoked" and first.json()["reference"].startswith("REV-")
    assert again.json() == first.json()
    assert list(ErpCall.objects.order_by("pk").values_list("effect", flat=True)) == [True, False]


@pytest.mark.django_db
def test_a_revocation_needs_the_token_and_names_what_it_needs(client):
    assert revoke(client, token="wrong").status_code == 401
    incomplete = revoke(client, body={"system": "ERP production"})
    assert incomplete.status_code == 400 and incomplete.json() == {"message": services.MSG_REVOKE_FIELDS}


END_URL = "/demo/erp/policy-exceptions/ends"
END_BODY = {"case": 12, "policy": "remote-access", "exception": "Client site", "expires_on": "2027-03-31"}


@pytest.mark.django_db
def test_the_policy_register_records_an_exception_end_once_per_key(client):
    headers = {"Authorization": f"Bearer {settings.WMS_SECRETS['ERP_TOKEN']}", "Idempotency-Key": "wms-12-expiry-r1"}

    def end(body=END_BODY):
        return client.post(END_URL, data=json.dumps(body), content_type="application/json", headers=headers)

    first, again = end(), end()
    assert first.status_code == again.status_code == 200
    assert first.json()["status"] == "ended" and first.json()["reference"].startswith("END-")
    assert again.json()["reference"] == first.json()["reference"]
    assert list(ErpCall.objects.order_by("pk").values_list("effect", flat=True)) == [True, False]
    incomplete = end({"case": 12})
    assert incomplete.status_code == 400 and incomplete.json() == {"message": services.MSG_END_FIELDS}
