"""The draft's Texts section: edit, publish, and every page shows the texts of its own version."""

from apps.audit.models import Action, AuditEvent
from apps.definitions.models import DefinitionVersion
from apps.definitions.texts import MSG_TEXT_LONG

KEY = "purchase-approval"
HX = {"HTTP_HX_REQUEST": "true"}
TEXTS_URL = f"/builder/{KEY}/draft/texts/"
NEW_TEXTS = {
    "description": "Purchases of 5,000 or more also need finance.",
    "form_intro": "From 5,000 finance approves too.\nHave the quote ready.",
}


def _raise_finance_to_5000(client):
    data = {"parent": "approver:approval:finance", "index": "0", "field": "amount", "op": ">=", "value": "5000"}
    assert client.post(f"/builder/{KEY}/draft/rows/clauses/", data, **HX).status_code == 200


def test_edit_the_texts_publish_and_each_version_keeps_its_own(signed_in, draft):
    olivia = signed_in("olivia")
    page = olivia.get(f"/builder/{KEY}/draft/").content.decode()
    assert 'id="texts"' in page and "purchases of 1,000 or more also need finance approval" in page

    _raise_finance_to_5000(olivia)
    response = olivia.post(TEXTS_URL, NEW_TEXTS, **HX)
    assert response.status_code == 200 and response["HX-Retarget"] == "#editor"
    assert "Texts saved." in response.content.decode() and "Have the quote ready." in response.content.decode()
    event = AuditEvent.objects.filter(action=Action.DRAFT_CHANGED).last()
    assert event.actor_name == "olivia" and event.context["section"] == "texts"

    diff = olivia.get(f"/builder/{KEY}/diff/?from=1&to=draft").content.decode()
    assert "<h2>Texts</h2>" in diff and "From 5,000 finance approves too." in diff

    response = olivia.post(f"/builder/{KEY}/draft/publish/", {"note": "Finance from 5,000"})
    assert response.status_code == 302

    v1 = olivia.get(f"/builder/{KEY}/versions/1/").content.decode()
    v2 = olivia.get(f"/builder/{KEY}/versions/2/").content.decode()
    assert "Texts of this version" in v1 and "1,000 or more" in v1 and "5,000" not in v1
    assert "<p>From 5,000 finance approves too.<br>Have the quote ready.</p>" in v2
    assert "1,000 or more also need finance" not in v2
    assert "1,000" in olivia.get(f"/builder/{KEY}/versions/1/sop/").content.decode()
    sop_v2 = olivia.get(f"/builder/{KEY}/versions/2/sop/").content.decode()
    assert "Purchases of 5,000 or more also need finance." in sop_v2 and "1,000" not in sop_v2

    # The requester reads the live version's texts: the start form and the list of workflows.
    alice = signed_in("alice")
    form = alice.get(f"/requests/new/{KEY}/").content.decode()
    assert "From 5,000 finance approves too.<br>Have the quote ready." in form
    assert "Purchases of 5,000 or more also need finance." in form and "1,000" not in form
    assert "Purchases of 5,000 or more also need finance." in alice.get("/requests/new/").content.decode()


def test_a_bad_text_is_refused_at_its_field_and_nothing_changes(signed_in, draft):
    olivia = signed_in("olivia")
    before = DefinitionVersion.objects.get(pk=draft.pk).spec
    data = {"description": "x" * 2001, "form_intro": "fine"}
    message = MSG_TEXT_LONG.format(limit=2000, length=2001)

    response = olivia.post(TEXTS_URL, data, **HX)
    page = response.content.decode()
    assert response.status_code == 200 and response["HX-Retarget"] == "#editor"
    assert '<div class="field invalid">' in page and message in page and ">fine</textarea>" in page
    assert DefinitionVersion.objects.get(pk=draft.pk).spec == before

    response = olivia.post(TEXTS_URL, data)
    assert response.status_code == 400 and b"<html" in response.content and message.encode() in response.content
    assert DefinitionVersion.objects.get(pk=draft.pk).spec == before


def test_the_draft_warns_when_its_texts_quote_a_number_its_rules_dropped(signed_in, draft):
    olivia = signed_in("olivia")
    assert b"text-warning" not in olivia.get(f"/builder/{KEY}/draft/").content

    _raise_finance_to_5000(olivia)
    page = olivia.get(f"/builder/{KEY}/draft/").content.decode()
    assert "The texts mention 1,000, which the live version&#x27;s rules use" in page
    assert "(they now use 5,000)" in page and "The texts may describe the old rules" in page

    olivia.post(TEXTS_URL, NEW_TEXTS, **HX)
    assert b"text-warning" not in olivia.get(f"/builder/{KEY}/draft/").content


def test_only_owners_edit_texts_and_only_of_a_draft(signed_in, draft):
    before = DefinitionVersion.objects.get(pk=draft.pk).spec
    assert signed_in("bob").post(TEXTS_URL, NEW_TEXTS).status_code == 403
    assert DefinitionVersion.objects.get(pk=draft.pk).spec == before

    olivia = signed_in("olivia")
    olivia.post(f"/builder/{KEY}/draft/publish/", {})
    response = olivia.post(TEXTS_URL, NEW_TEXTS)  # no draft any more
    assert response.status_code == 404
    assert "5,000" not in DefinitionVersion.objects.get(pk=draft.pk).texts.description
