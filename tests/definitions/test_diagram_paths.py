"""The diagram draws every way out of an approval stage (issue 12): "return" (dashed) to the
requester's rework task and back into the routing after the resubmission, and "reject" to the end
"Rejected"; the BPMN export has the same flows. Conditions read with field labels and numbers."""

import copy
import xml.etree.ElementTree as ET

from apps.definitions.bpmn import BPMN, BPMNDI, render_bpmn
from apps.definitions.diagram import render_svg
from apps.definitions.library import PURCHASE_APPROVAL

SVG = "http://www.w3.org/2000/svg"
NS = {"svg": SVG, "bpmn": BPMN}


def _svg(spec):
    return ET.fromstring(render_svg(spec, title="Purchase"))  # raises unless well-formed XML


def _flows(root, outcome):
    return root.findall(f".//svg:polyline[@class='flow {outcome}']", NS)


def _texts(root):
    return [t.text for t in root.iter(f"{{{SVG}}}text")]


def _end_points(polyline):
    return [tuple(map(float, p.split(","))) for p in polyline.get("points").split()]


def _two_stages():
    spec = copy.deepcopy(PURCHASE_APPROVAL["spec"])
    director = copy.deepcopy(spec["stages"][0])
    director.update(key="director", name="Director sign-off", when={"field": "amount", "op": ">=", "value": 10000})
    director["approvers"] = director["approvers"][:1]
    spec["stages"].append(director)
    return spec


def test_an_approval_stage_returns_dashed_to_the_requester_and_rejects_to_an_end():
    root = _svg(PURCHASE_APPROVAL["spec"])
    (back,), (rejected,), (resubmit,) = _flows(root, "return"), _flows(root, "reject"), _flows(root, "resubmit")
    assert back.get("stroke-dasharray") and resubmit.get("stroke-dasharray")  # the way back is dashed
    assert rejected.get("stroke-dasharray") is None
    texts = _texts(root)
    assert {"return", "reject", "resubmit", "approved", "Requester reworks", "Rejected", "Approved"} <= set(texts)

    rework = root.find(".//svg:g[@data-key='rework']/svg:rect", NS)
    right, middle = float(rework.get("x")) + float(rework.get("width")), float(rework.get("y")) + 28
    assert _end_points(back)[-1] == (right, middle)  # the return ends at the rework task
    end = root.find(".//svg:g[@class='event end rejected']/svg:circle", NS)
    assert _end_points(rejected)[-1] == (float(end.get("cx")) - float(end.get("r")), float(end.get("cy")))
    assert _end_points(resubmit)[0][1] == float(rework.get("y"))  # and goes back up into the routing


def test_every_approval_stage_has_its_own_return_and_reject_but_one_rework_and_one_rejected_end():
    root = _svg(_two_stages())
    assert len(_flows(root, "return")) == 2 and len(_flows(root, "reject")) == 2
    assert len(root.findall(".//svg:g[@data-key='rework']", NS)) == 1
    assert _texts(root).count("Rejected") == 1
    assert "Amount >= 10,000" in _texts(root)  # the second stage's rule, in words


def test_a_workflow_of_automated_steps_only_draws_no_return_or_rejection():
    spec = {
        "fields": [{"name": "amount", "type": "decimal", "label": "Amount"}],
        "stages": [{"key": "erp", "name": "ERP check", "type": "http", "system": "ERP", "request": {"url": "x"}}],
    }
    root = _svg(spec)
    assert not _flows(root, "return") and not _flows(root, "reject")
    assert "Rejected" not in _texts(root) and "ERP check" in _texts(root)  # the step's name as written


def test_a_field_label_with_markup_in_a_rule_stays_text():
    spec = copy.deepcopy(PURCHASE_APPROVAL["spec"])
    spec["fields"][0]["label"] = 'Amount <EUR> & "VAT"'
    root = _svg(spec)
    assert 'Amount <EUR> & "VAT" >= 1,000' in _texts(root)


def test_the_bpmn_has_the_same_return_and_reject_flows():
    root = ET.fromstring(render_bpmn(_two_stages(), key="purchase", name="Purchase", version_label="v1").encode())
    process = root.find("bpmn:process", NS)
    flows = {(f.get("sourceRef"), f.get("targetRef"), f.get("name")) for f in process.findall("bpmn:sequenceFlow", NS)}
    for stage in ("approval", "director"):
        assert (f"{stage}_outcome", "rework", "return") in flows
        assert (f"{stage}_outcome", "rejected", "reject") in flows
    assert ("rework", "route", "resubmit") in flows
    (rejected,) = [e for e in process.findall("bpmn:endEvent", NS) if e.get("id") == "rejected"]
    assert rejected.get("name") == "Rejected"
    plane = root.find(f"{{{BPMNDI}}}BPMNDiagram/{{{BPMNDI}}}BPMNPlane")
    assert {s.get("bpmnElement") for s in plane} == {e.get("id") for e in process if e.get("id")}
