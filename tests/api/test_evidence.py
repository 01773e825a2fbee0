"""GET /api/v1/evidence/: a ZIP for auditors and admins, 400 naming the field, 403 for others."""

import io
import zipfile

import pytest
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.evidence.verify import pack_verify

from .conftest import started

URL = "/api/v1/evidence/"


def _today():
    return timezone.localdate().isoformat()


def test_an_auditor_gets_the_pack_as_a_zip(api):
    case = started(api("alice"))
    response = api("audrey").get(URL, {"from": _today(), "to": _today(), "workflow": "purchase-approval"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="evidence-{_today()}-{_today()}-purchase-approval.zip"'
    )
    raw = b"".join(response.streaming_content)
    assert pack_verify(io.BytesIO(raw)).ok
    archive = zipfile.ZipFile(io.BytesIO(raw))
    assert f'"case_id":{case["id"]}' in archive.read("cases.json").decode()
    event = AuditEvent.objects.get(action="evidence.exported")
    assert (event.actor_name, event.context["via"], event.context["counts"]["cases"]) == ("audrey", "api", 1)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"to": "2026-01-01"}, "from"),
        ({"from": "2026-13-01", "to": "2026-01-01"}, "from"),
        ({"from": "2026-01-02", "to": "2026-01-01"}, "to"),
        ({"from": "2026-01-01", "to": "9999-12-31"}, "to"),
        ({"from": "2026-01-01", "to": "2026-01-02", "workflow": "nope"}, "workflow"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, query, field):
    response = api("admin").get(URL, query)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {field}
    assert field in response.json()["detail"]
    assert not AuditEvent.objects.filter(action="evidence.exported").exists()


@pytest.mark.parametrize("username", ["alice", "fiona", "olivia", "oscar"])
def test_everyone_else_is_refused_whatever_they_ask(api, username):
    for query in ({"from": _today(), "to": _today()}, {"from": "garbage"}):
        response = api(username).get(URL, query)
        assert response.status_code == 403
        assert response.json()["detail"] == "Evidence packs are for auditors and administrators."
    assert api().get(URL, {"from": _today(), "to": _today()}).status_code == 401
