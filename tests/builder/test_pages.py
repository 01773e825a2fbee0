"""Every builder page: whole page normally, fragment for htmx, 403 for people who are not owners."""

from apps.definitions.models import DefinitionVersion

KEY = "purchase-approval"
PAGES = [
    "/builder/",
    f"/builder/{KEY}/",
    f"/builder/{KEY}/draft/",
    f"/builder/{KEY}/draft/rows/fields/?index=0",
    f"/builder/{KEY}/tester/",
    f"/builder/{KEY}/tester/?run=1&amount=700&vendor=ACME&cost_center=CC-1",
    f"/builder/{KEY}/impact/",
    f"/builder/{KEY}/diff/",
    f"/builder/{KEY}/diff/?from=1&to=draft",
    f"/builder/{KEY}/versions/1/",
    f"/builder/{KEY}/versions/draft/",
    f"/builder/{KEY}/versions/1/bpmn/",
    f"/builder/{KEY}/versions/1/sop/",
    f"/builder/{KEY}/versions/1/sop.md",
    f"/builder/{KEY}/export/",
    "/builder/import/",
]
POSTS = [
    ("/builder/new/", {"key": "x", "name": "X"}),
    (f"/builder/{KEY}/draft/rows/fields/", {"index": "0", "name": "amount", "type": "decimal"}),
    (f"/builder/{KEY}/draft/rows/fields/remove/", {"index": "4"}),
    (f"/builder/{KEY}/draft/rows/fields/move/", {"index": "1", "direction": "up"}),
    (f"/builder/{KEY}/draft/rule/", {"target": "stage:approval", "effect": "add", "match": "any"}),
    (f"/builder/{KEY}/draft/settings/", {"on_missing_required": "return_to_requester"}),
    (f"/builder/{KEY}/draft/texts/", {"description": "Changed", "form_intro": ""}),
    (f"/builder/{KEY}/draft/publish/", {}),
    (f"/builder/{KEY}/versions/1/new-draft/", {}),
    (f"/builder/{KEY}/tester/", {"amount": "700", "vendor": "A"}),
    ("/builder/import/", {}),
]


def test_every_page_renders_for_the_owner(signed_in, draft):
    client = signed_in("olivia")
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:500])


def test_bob_gets_403_on_every_page_and_action_and_nothing_changes(signed_in, draft):
    """One seeded database for all of them: each URL is its own check."""
    client = signed_in("bob")
    before = list(DefinitionVersion.objects.values_list("pk", "spec", "status"))
    assert [url for url in PAGES if client.get(url).status_code != 403] == []
    assert [url for url, data in POSTS if client.post(url, data).status_code != 403] == []
    assert list(DefinitionVersion.objects.values_list("pk", "spec", "status")) == before


def test_pages_need_sign_in(client, demo):
    response = client.get("/builder/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_nav_link_only_for_owners_and_admins(signed_in):
    assert b'href="/builder/"' in signed_in("olivia").get("/").content
    assert b'href="/builder/"' in signed_in("admin").get("/").content
    assert b'href="/builder/"' not in signed_in("bob").get("/").content


def test_htmx_requests_get_fragments(signed_in, draft):
    client = signed_in("olivia")
    row = client.get(f"/builder/{KEY}/draft/rows/fields/?index=0", HTTP_HX_REQUEST="true").content.decode()
    assert row.startswith('<tr id="row-fields--0" class="editing">') and "<html" not in row
    editor = client.get(f"/builder/{KEY}/draft/?part=editor", HTTP_HX_REQUEST="true").content.decode()
    assert editor.startswith('<div id="editor">') and "<html" not in editor
    impact = client.get(f"/builder/{KEY}/impact/", HTTP_HX_REQUEST="true").content.decode()
    assert impact.startswith('<div id="impact">')
    diff = client.get(f"/builder/{KEY}/diff/", HTTP_HX_REQUEST="true").content.decode()
    assert diff.startswith('<div id="diff">')
