"""Names from a spec are data, never markup: quotes, angle brackets and ampersands in a definition's
name, its stage names, approver labels, field labels, reason codes and system names come back
exactly as typed from the diagram (SVG), the BPMN file, the SOP (HTML and Markdown) and the diff,
and nothing in them becomes an element or an attribute (issue 10, item 2: stored XSS)."""

import copy
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from apps.definitions.bpmn import BPMN, render_bpmn
from apps.definitions.diagram import render_svg
from apps.definitions.diff import spec_diff
from apps.definitions.selectors import version_live
from apps.definitions.services import definition_create, version_publish
from apps.definitions.sop import sop_markdown
from apps.definitions.spec import validate_spec

SVG = "http://www.w3.org/2000/svg"
BREAKOUT = "</svg><script>alert(1)</script>"
ATTRIBUTE = '" onload="alert(1)'
QUOTES = 'Tom\'s "big" <b>buy</b> & co'

NAME = f"Pay {QUOTES} {ATTRIBUTE}"
STAGE = f"Check {ATTRIBUTE}"
APPROVER = f"Boss {BREAKOUT}"
SECOND_APPROVER = "R&D's <lead>"
FIELD = 'Amount <EUR> & "VAT"'
SYSTEM = f"ERP {ATTRIBUTE} {BREAKOUT}"
WAIT_STEP = 'Portal\'s <reply> & "ok"'
REASON_CODE = 'bad"<code>&'
REASON_LABEL = f"Over budget {BREAKOUT}"
VENDOR_VALUE = "<img src=x onerror=alert(1)>"
KEY = "hostile-names"

HOSTILE_SPEC = {
    "fields": [
        {"name": "amount", "type": "decimal", "label": FIELD, "required": True, "help": f"help {BREAKOUT}"},
        {"name": "vendor", "type": "text", "label": "Vendor"},
    ],
    "stages": [
        {
            "key": "erp",
            "name": SYSTEM,
            "type": "http",
            "system": SYSTEM,
            "request": {"method": "POST", "url": '{{endpoint.ERP}}/in"<voices>'},
        },
        {
            "key": "check",
            "name": STAGE,
            "approvers": [
                {"key": "boss", "label": APPROVER, "type": "manager"},
                {
                    "key": "lead",
                    "label": SECOND_APPROVER,
                    "type": "managers_manager",
                    "when": {"field": "vendor", "op": "=", "value": VENDOR_VALUE},
                },
            ],
        },
        {"key": "portal", "name": WAIT_STEP, "type": "wait", "system": SYSTEM, "timeout_hours": 24},
    ],
    "reason_codes": [{"code": REASON_CODE, "label": REASON_LABEL}],
}
# Every text a person typed that the diagram shows in full (fields are not drawn).
TYPED = [NAME, STAGE, APPROVER, SECOND_APPROVER, SYSTEM, WAIT_STEP]
SVG_TAGS = {"svg", "defs", "marker", "path", "title", "g", "rect", "circle", "polyline", "polygon", "text"}


def test_the_hostile_spec_is_a_valid_spec():
    """Publishing accepts all of these: they are ordinary names, so the exports must cope."""
    assert validate_spec(HOSTILE_SPEC) == []


def _texts(root) -> set[str]:
    return {text for element in root.iter() for text in [element.text, *element.attrib.values()] if text}


def test_the_diagram_is_well_formed_svg_with_every_name_as_typed():
    svg = render_svg(HOSTILE_SPEC, title=NAME)
    root = ET.fromstring(svg)  # raises on a broken attribute or an unbalanced element
    assert root.tag == f"{{{SVG}}}svg"
    assert root.get("aria-label") == NAME
    assert root.find(f"{{{SVG}}}title").text == NAME
    assert {element.tag.removeprefix(f"{{{SVG}}}") for element in root.iter()} <= SVG_TAGS
    assert not [name for element in root.iter() for name in element.attrib if name.lower().startswith("on")]
    texts = _texts(root)
    for typed in TYPED:
        assert any(typed in text for text in texts), typed
    assert any(f"Vendor = {VENDOR_VALUE}" in text for text in texts)  # the field's label


def test_every_task_of_the_diagram_carries_its_full_name():
    """Labels are cut to fit their box; the tooltip (title) keeps the whole name."""
    root = ET.fromstring(render_svg(HOSTILE_SPEC, title=NAME))
    titles = {g.get("data-key"): g.find(f"{{{SVG}}}title").text for g in root.iter(f"{{{SVG}}}g") if g.get("data-key")}
    assert titles["check_boss"].startswith(f"{APPROVER}: ")
    assert titles["check_lead"].startswith(f"{SECOND_APPROVER}: ")
    assert titles["erp"].startswith(f"{SYSTEM}: calls {SYSTEM}")


def test_a_control_character_in_a_name_does_not_break_the_diagram_or_the_bpmn():
    spec = copy.deepcopy(HOSTILE_SPEC)
    spec["stages"][1]["name"] = "Check\x00\x08 it\x1b"
    assert ET.fromstring(render_svg(spec, title="A\x01B")).get("aria-label") == "AB"
    root = ET.fromstring(render_bpmn(spec, key=KEY, name="A\x0cB", version_label="draft").encode())
    assert root.find(f"{{{BPMN}}}process").get("name") == "AB"


def test_the_bpmn_parses_and_carries_the_exact_names():
    xml = render_bpmn(HOSTILE_SPEC, key=KEY, name=NAME, version_label="version 1")
    root = ET.fromstring(xml.encode())
    process = root.find(f"{{{BPMN}}}process")
    assert process.get("name") == NAME
    assert [t.get("name") for t in process.iter(f"{{{BPMN}}}userTask")] == [
        "Requester reworks",
        APPROVER,
        SECOND_APPROVER,
    ]
    assert [t.get("name") for t in process.iter(f"{{{BPMN}}}serviceTask")] == [SYSTEM]
    assert [t.get("name") for t in process.iter(f"{{{BPMN}}}receiveTask")] == [WAIT_STEP]
    assert [m.get("name") for m in root.iter(f"{{{BPMN}}}message")] == [f"Callback from {SYSTEM}"]
    conditions = [c.text for c in process.iter(f"{{{BPMN}}}conditionExpression")]
    assert conditions == [f"vendor = {VENDOR_VALUE}", "stage returned", "stage approved", "stage rejected"]
    assert process.find(f"{{{BPMN}}}parallelGateway[@id='check_split']").get("name") == f"{STAGE}: in parallel"


def test_the_diff_keeps_the_names_as_data():
    """The diff hands plain strings to an autoescaping template; none is pre-rendered markup."""
    sections = {s["title"]: s["changes"] for s in spec_diff({"fields": [], "stages": []}, HOSTILE_SPEC)}
    values = {row["new"] for changes in sections.values() for change in changes for row in change["rows"]}
    assert {FIELD, STAGE, APPROVER, SECOND_APPROVER, SYSTEM, WAIT_STEP, REASON_LABEL} <= values
    assert REASON_CODE in {change["name"] for change in sections["Reason codes"]}


@pytest.fixture
def hostile_version(demo):
    draft = definition_create(key=KEY, name=NAME, spec=copy.deepcopy(HOSTILE_SPEC), actor=demo["olivia"])
    version_publish(version=draft, actor=demo["olivia"])
    return version_live(key=KEY)


class _Elements(HTMLParser):
    """The elements and attributes a browser would build from an HTML document, and its text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attributes, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]

    def handle_data(self, data):
        self.text.append(data)


def parse_html(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser


def test_the_markdown_sop_carries_no_markup_from_names(hostile_version):
    markdown = sop_markdown(version=hostile_version)
    assert "<" not in markdown  # every `<` a name holds is written as &lt;: no tag, no autolink
    for typed in (STAGE, APPROVER, FIELD, REASON_LABEL):
        assert typed.replace("&", "&amp;").replace("<", "&lt;") in markdown, typed


def test_the_markdown_sop_renders_to_html_without_injected_elements(hostile_version):
    """Rendered by a CommonMark renderer that passes raw HTML through, names stay text."""
    markdown_it = pytest.importorskip("markdown_it")
    html = markdown_it.MarkdownIt("commonmark").render(sop_markdown(version=hostile_version))
    page = parse_html(html)
    assert "script" not in page.tags and "img" not in page.tags and "lead" not in page.tags
    assert not [name for name in page.attributes if name.startswith("on")]
    text = "".join(page.text)
    for typed in (NAME, STAGE, APPROVER, SECOND_APPROVER, FIELD, REASON_LABEL, REASON_CODE):
        assert typed in text, typed
