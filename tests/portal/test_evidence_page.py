"""The evidence pack page: auditors and admins take a pack from a form; errors inline; others 403."""

import io
import zipfile

import pytest
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.evidence.verify import pack_verify

URL = "/audit/evidence/"


def _today():
    return timezone.localdate().isoformat()


def test_the_auditors_case_search_links_to_the_page(signed_in):
    page = signed_in("audrey").get("/audit/cases/").content.decode()
    assert f'href="{URL}"' in page


def test_the_page_shows_the_form_and_an_empty_list(signed_in):
    response = signed_in("audrey").get(URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert '<input type="date" id="e-from" name="from"' in page
    assert f'name="to" value="{_today()}"' in page
    assert '<option value="purchase-approval">' in page
    assert "No pack has been taken yet." in page


def test_posting_the_form_downloads_a_pack_and_lists_it(signed_in, start_purchase):
    case = start_purchase()
    client = signed_in("admin")
    response = client.post(URL, {"from": _today(), "to": _today(), "workflow": "purchase-approval"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment;" in response["Content-Disposition"]
    raw = b"".join(response.streaming_content)
    assert pack_verify(io.BytesIO(raw)).ok
    assert f'"case_id":{case.pk}' in zipfile.ZipFile(io.BytesIO(raw)).read("cases.json").decode()
    assert AuditEvent.objects.get(action="evidence.exported").context["via"] == "portal"

    page = client.get(URL).content.decode()
    assert "No pack has been taken yet." not in page
    assert f"<td>admin</td><td>{_today()} – {_today()}</td>" in page


def test_bad_dates_are_shown_at_their_fields(signed_in):
    response = signed_in("audrey").post(URL, {"from": "2026-02-30", "to": "2026-01-01", "workflow": "nope"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Give a date as YYYY-MM-DD, e.g. 2026-11-30." in page
    assert "No workflow has the key &#x27;nope&#x27;." in page
    assert 'value="2026-02-30"' in page, "what was typed stays"
    assert not AuditEvent.objects.filter(action="evidence.exported").exists()


@pytest.mark.parametrize("username", ["alice", "bob", "olivia", "oscar"])
def test_others_are_refused(signed_in, username):
    client = signed_in(username)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"from": _today(), "to": _today()}).status_code == 403
    assert not AuditEvent.objects.filter(action="evidence.exported").exists()


def test_signed_out_people_are_sent_to_sign_in(client, demo):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
