"""A definition whose names hold quotes, tags and ampersands (typed in the builder or imported)
cannot run script in the browser of whoever opens its pages: the draft editor, a version with its
diagram, the diff and the SOP show the names as text (issue 10, item 2: stored XSS)."""

import copy
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.definitions.selectors import version_live
from apps.definitions.services import definition_create, draft_create_from, draft_update, version_publish
from tests.definitions.test_escaping import (
    APPROVER,
    FIELD,
    HOSTILE_SPEC,
    KEY,
    NAME,
    REASON_LABEL,
    SECOND_APPROVER,
    STAGE,
    SYSTEM,
    parse_html,
)

PLAIN_SPEC = {
    "fields": [{"name": "amount", "type": "decimal", "label": "Amount", "required": True}],
    "stages": [{"key": "check", "name": "Check", "approvers": [{"key": "boss", "label": "Boss", "type": "manager"}]}],
}
PAGES = [
    f"/builder/{KEY}/",
    f"/builder/{KEY}/draft/",
    f"/builder/{KEY}/versions/1/",
    f"/builder/{KEY}/versions/2/",
    f"/builder/{KEY}/versions/draft/",
    f"/builder/{KEY}/versions/2/sop/",
    f"/builder/{KEY}/diff/?from=1&to=2",
    f"/builder/{KEY}/diff/?from=2&to=1",
    "/builder/",
]


@pytest.fixture
def hostile(demo):
    """Version 1 plain, version 2 with the hostile names, and a draft from version 2."""
    olivia = demo["olivia"]
    draft = definition_create(key=KEY, name=NAME, spec=copy.deepcopy(PLAIN_SPEC), actor=olivia)
    version_publish(version=draft, actor=olivia)
    draft = draft_create_from(version=version_live(key=KEY), actor=olivia)
    draft = draft_update(version=draft, spec=copy.deepcopy(HOSTILE_SPEC), actor=olivia)
    version_publish(version=draft, actor=olivia)
    draft_create_from(version=version_live(key=KEY), actor=olivia)
    return olivia


def _scripts_and_handlers(page):
    scripts = [tag for tag in page.tags if tag == "script"]
    handlers = [name for name in page.attributes if name.lower().startswith("on")]
    return scripts, handlers


@pytest.mark.parametrize("url", PAGES)
def test_no_builder_page_gets_an_injected_element_or_handler(client, hostile, url):
    client.force_login(hostile)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    page = parse_html(html)
    scripts, handlers = _scripts_and_handlers(page)
    assert handlers == []
    # The only script elements are the page's own (htmx, loaded from a file).
    assert len(scripts) == html.count('<script src="/static/'), url
    assert "lead" not in page.tags and "img" not in page.tags and "b" not in page.tags


@pytest.mark.parametrize(
    ("url", "typed"),
    [
        (f"/builder/{KEY}/versions/2/", [NAME, STAGE, APPROVER, SECOND_APPROVER, SYSTEM]),
        (f"/builder/{KEY}/draft/", [NAME, STAGE, APPROVER, SECOND_APPROVER, SYSTEM, FIELD]),
        (f"/builder/{KEY}/versions/2/sop/", [NAME, STAGE, APPROVER, SECOND_APPROVER, SYSTEM, FIELD, REASON_LABEL]),
        (f"/builder/{KEY}/diff/?from=1&to=2", [STAGE, APPROVER, SECOND_APPROVER, SYSTEM, FIELD, REASON_LABEL]),
    ],
)
def test_the_names_read_as_typed(client, hostile, url, typed):
    client.force_login(hostile)
    text = "".join(parse_html(client.get(url).content.decode()).text)
    for name in typed:
        assert name in text, (url, name)


def test_the_diff_fragment_for_htmx_is_escaped_too(client, hostile):
    client.force_login(hostile)
    response = client.get(f"/builder/{KEY}/diff/?from=1&to=2", HTTP_HX_REQUEST="true")
    page = parse_html(response.content.decode())
    assert _scripts_and_handlers(page) == ([], [])
    assert APPROVER in "".join(page.text)


def test_the_bpmn_and_markdown_downloads_are_not_html(client, hostile):
    client.force_login(hostile)
    bpmn = client.get(f"/builder/{KEY}/versions/2/bpmn/")
    assert bpmn["Content-Type"].startswith("application/xml") and "attachment" in bpmn["Content-Disposition"]
    markdown = client.get(f"/builder/{KEY}/versions/2/sop.md")
    assert markdown["Content-Type"].startswith("text/markdown") and "<" not in markdown.content.decode()


def test_an_imported_definition_with_hostile_names_opens_safely(client, demo):
    """The issue's path: a file from elsewhere, imported, then opened in the draft editor."""
    export = {
        "format": "wms.workflow",
        "format_version": 1,
        "key": "imported-hostile",
        "name": NAME,
        "description": f"From elsewhere {APPROVER}",
        "versions": [{"number": None, "status": "draft", "spec": copy.deepcopy(HOSTILE_SPEC)}],
    }
    client.force_login(demo["olivia"])
    upload = SimpleUploadedFile("hostile.json", json.dumps(export).encode(), content_type="application/json")
    response = client.post("/builder/import/", {"file": upload}, follow=True)
    assert response.redirect_chain[-1][0] == "/builder/imported-hostile/draft/"
    page = parse_html(response.content.decode())
    assert _scripts_and_handlers(page)[1] == [] and "lead" not in page.tags
    assert NAME in "".join(page.text) and APPROVER in "".join(page.text)
