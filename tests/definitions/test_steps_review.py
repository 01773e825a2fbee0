"""What a workflow owner reviews about automated steps: the diagram, the BPMN file, the SOP,
the diff between versions and the unreachable-step check (the route preview is the builder's:
tests/builder/test_replay.py)."""

import copy
import xml.etree.ElementTree as ET

from apps.definitions.bpmn import BPMN, render_bpmn
from apps.definitions.diagram import render_svg, url_shown
from apps.definitions.diff import spec_diff
from apps.definitions.reachability import MSG_STEP_UNREACHABLE
from apps.definitions.selectors import version_live
from apps.definitions.sop import sop_build, sop_markdown
from apps.definitions.spec import validate_spec

KEY = "invoice-check"
FIELDS = [
    {"name": "amount", "type": "decimal", "label": "Amount", "required": True},
    {"name": "erp_id", "type": "text", "label": "ERP id"},
]
ERP_STEP = {
    "key": "erp",
    "name": "Validate in ERP",
    "type": "http",
    "system": "ERP",
    "when": {"field": "amount", "op": ">=", "value": 100},
    "request": {
        "method": "POST",
        "url": "{{endpoint.ERP}}/invoices",
        "headers": {"Authorization": "Bearer {{secret.ERP_TOKEN}}"},
        "body": {"amount": "{{field.amount}}", "case": "{{case.id}}"},
    },
    "timeout_seconds": 10,
    "retry": {"attempts": 3, "backoff_seconds": 10, "max_backoff_seconds": 600},
    "response": {"map": {"erp_id": "data.id"}},
    "undo": {"method": "DELETE", "url": "{{endpoint.ERP}}/invoices/{{field.erp_id}}"},
    "on_failure": "exception_queue",
}
APPROVAL = {
    "key": "approval",
    "name": "Approval",
    "approvers": [{"key": "boss", "label": "Manager", "type": "manager"}],
}
WAIT_STEP = {
    "key": "portal",
    "name": "Customer confirms",
    "type": "wait",
    "system": "Customer portal",
    "timeout_hours": 72,
}
STAGES = [ERP_STEP, APPROVAL, WAIT_STEP]
SPEC = {"fields": FIELDS, "stages": STAGES}


def test_the_example_spec_is_valid():
    assert validate_spec(SPEC) == []


def test_the_diagram_draws_a_service_task_and_a_wait():
    svg = render_svg(SPEC, title="Invoice check")
    ET.fromstring(svg)  # well-formed
    for words in ("Validate in ERP", "calls ERP", "3 attempts", "undo", "Customer confirms"):
        assert words in svg
    assert "waits for Customer portal" in svg and "up to 72 h" in svg
    assert 'class="step http" data-key="erp"' in svg and 'class="step wait" data-key="portal"' in svg
    assert "Amount &gt;= 100" in svg and "otherwise: skip" in svg  # the step's condition, as for stages
    assert "Manager" in svg  # the approval stage is still there


def test_bpmn_has_a_service_task_and_a_receive_task_with_its_timer():
    xml = render_bpmn(SPEC, key=KEY, name="Invoice check", version_label="version 1")
    root = ET.fromstring(xml.encode())
    ns = {"bpmn": BPMN}
    (service,) = root.findall(".//bpmn:serviceTask", ns)
    assert service.get("name") == "Validate in ERP"
    assert "POST {{endpoint.ERP}}/invoices" in service.find("bpmn:documentation", ns).text
    (receive,) = root.findall(".//bpmn:receiveTask", ns)
    assert receive.get("name") == "Customer confirms"
    assert root.find(f".//bpmn:message[@id='{receive.get('messageRef')}']", ns) is not None
    timer = root.find(".//bpmn:boundaryEvent", ns)
    assert timer.get("attachedToRef") == "portal"
    assert timer.find(".//bpmn:timeDuration", ns).text == "PT72H"
    shapes = {s.get("bpmnElement") for s in root.iter("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNShape")}
    assert {"erp", "portal", "portal_timeout", "portal_exception"} <= shapes


def test_the_sop_says_what_the_step_does_and_shows_no_secret(publish, settings):
    publish(KEY, STAGES, FIELDS)
    version = version_live(key=KEY)
    markdown = sop_markdown(version=version)
    assert "**Validate in ERP** — automated: calls ERP (POST {{endpoint.ERP}}/invoices)" in markdown
    assert "tried up to 3 times" in markdown
    assert "the case goes to the exception queue (operators correct the data and retry" in markdown
    assert "undo: DELETE {{endpoint.ERP}}/invoices/{{field.erp_id}} when the case is cancelled" in markdown
    assert "ERP id (from data.id)" in markdown
    assert "waits for Customer portal to call back" in markdown and "up to 72 h" in markdown
    assert settings.WMS_SECRETS["ERP_TOKEN"] not in markdown and "Bearer" not in markdown
    stages = sop_build(version=version)["stages"]
    assert [s.get("kind") for s in stages] == ["HTTP step", None, "Wait"]


def test_a_literal_key_in_a_url_is_not_shown():
    assert url_shown("https://erp.example/x?api_key=abc123&id={{field.erp_id}}") == (
        "https://erp.example/x?api_key=…&id={{field.erp_id}}"
    )
    assert url_shown("https://bob:hunter2@erp.example/x") == "https://bob:…@erp.example/x"


def test_the_diff_reports_a_changed_url_retry_mapping_and_type():
    new = copy.deepcopy(SPEC)
    new["stages"][0]["request"]["url"] = "{{endpoint.ERP}}/v2/invoices"
    new["stages"][0]["request"]["method"] = "PUT"
    new["stages"][0]["retry"]["attempts"] = 5
    new["stages"][0]["response"]["map"] = {"erp_id": "invoice.id"}
    new["stages"][2] = {**WAIT_STEP, "system": "Supplier portal"}
    changes = {c["name"]: c for s in spec_diff(SPEC, new) if s["title"] == "Stages" for c in s["changes"]}
    rows = {r["attr"]: (r["old"], r["new"]) for r in changes["erp"]["rows"]}
    assert rows["URL"] == ("{{endpoint.ERP}}/invoices", "{{endpoint.ERP}}/v2/invoices")
    assert rows["method"] == ("POST", "PUT")
    assert rows["attempts"] == ("3 attempts", "5 attempts")
    assert rows["answer fills in"] == ("erp_id ← data.id", "erp_id ← invoice.id")
    assert changes["portal"]["rows"] == [{"attr": "system", "old": "Customer portal", "new": "Supplier portal"}]
    turned = copy.deepcopy(SPEC)
    turned["stages"][2] = {**APPROVAL, "key": "portal", "name": "Customer confirms"}
    (change,) = [c for s in spec_diff(SPEC, turned) if s["title"] == "Stages" for c in s["changes"]]
    assert {"attr": "type", "old": "Wait", "new": "approval stage"} in change["rows"]


def test_a_step_that_can_never_run_is_refused():
    spec = copy.deepcopy(SPEC)
    spec["fields"][0]["min"] = 0
    spec["stages"][0]["when"] = {"field": "amount", "op": "<", "value": 0}
    message = MSG_STEP_UNREACHABLE.format(stage="erp", text="amount < 0")
    assert message in validate_spec(spec)
