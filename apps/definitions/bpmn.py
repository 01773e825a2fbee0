"""A version as BPMN 2.0 XML, with the diagram interchange section so BPMN tools (Camunda
Modeler, bpmn.io) open it laid out as on our page. Generated from the same layout as the SVG.

Automated steps: an HTTP call is a service task, a wait for a callback a receive task with the
message it waits for and a boundary timer (its time limit) leading to an end event that stands
for the exception queue, where operators take the case over."""

import xml.etree.ElementTree as ET

from .diagram import APPROVED, EVENT, REJECT, RETURN, is_step, layout, request_text, xml_text
from .reachability import condition_text

# What a stage's outcome gateway tests on each way out (the decisions that settled the stage).
OUTCOME_EXPRESSIONS = {APPROVED: "stage approved", RETURN: "stage returned", REJECT: "stage rejected"}

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
for prefix, uri in {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "xsi": XSI}.items():
    ET.register_namespace(prefix, uri)

TAGS = {
    "start": "startEvent",
    "end": "endEvent",
    "task": "userTask",
    "service": "serviceTask",
    "receive": "receiveTask",
    "parallel": "parallelGateway",
    "exclusive": "exclusiveGateway",
}


def _q(ns, tag):
    return f"{{{ns}}}{tag}"


def _shape(plane, element_id: str, x: int, y: int, w: int, h: int) -> None:
    shape = ET.SubElement(plane, _q(BPMNDI, "BPMNShape"), {"id": f"{element_id}_di", "bpmnElement": element_id})
    ET.SubElement(shape, _q(DC, "Bounds"), {"x": str(x), "y": str(y), "width": str(w), "height": str(h)})


def _step_documentation(node, stage: dict | None) -> str:
    parts = [node.detail, node.note]
    if stage and stage.get("type") == "ui":
        script = stage.get("script") if isinstance(stage.get("script"), list) else []
        guarded = "a guard first" if isinstance(stage.get("guard"), dict) else "no guard"
        parts[0] += f" (a UI script of {len(script)} actions in a browser, {guarded})"
    if stage and stage.get("type") == "http":
        parts[0] += f" ({request_text(stage.get('request'))})"
        if isinstance(stage.get("undo"), dict):
            parts.append(f"undo: {request_text(stage['undo'])}")
    return "; ".join(parts)


def _timer(process, node) -> tuple:
    """A wait's time limit: a boundary timer on the receive task, then the exception queue."""
    timer_id, end_id, flow_id = f"{node.id}_timeout", f"{node.id}_exception", f"{node.id}_timeout_flow"
    timer = ET.SubElement(
        process,
        _q(BPMN, "boundaryEvent"),
        {"id": timer_id, "name": f"no callback within {node.timeout_hours:g} h", "attachedToRef": node.id},
    )
    ET.SubElement(timer, _q(BPMN, "outgoing")).text = flow_id
    definition = ET.SubElement(timer, _q(BPMN, "timerEventDefinition"), {"id": f"{timer_id}_definition"})
    duration = ET.SubElement(definition, _q(BPMN, "timeDuration"), {_q(XSI, "type"): "bpmn:tFormalExpression"})
    duration.text = f"PT{node.timeout_hours:g}H"
    end = ET.SubElement(process, _q(BPMN, "endEvent"), {"id": end_id, "name": "Exception queue (operators)"})
    ET.SubElement(end, _q(BPMN, "incoming")).text = flow_id
    ET.SubElement(process, _q(BPMN, "sequenceFlow"), {"id": flow_id, "sourceRef": timer_id, "targetRef": end_id})
    return node, timer_id, end_id, flow_id


def render_bpmn(spec: dict, *, key: str, name: str, version_label: str) -> str:
    lay = layout(spec)
    process_id = "Process_" + "".join(ch if ch.isalnum() else "_" for ch in key)
    root = ET.Element(
        _q(BPMN, "definitions"),
        {
            "id": "Definitions_1",
            "targetNamespace": "https://wms.example/bpmn",
            "exporter": "WMS",
            "exporterVersion": version_label,
        },
    )
    process = ET.SubElement(root, _q(BPMN, "process"), {"id": process_id, "name": name, "isExecutable": "false"})
    ET.SubElement(process, _q(BPMN, "documentation")).text = f"{name} ({key}), {version_label}"
    elements = {}
    defaults = {e.source: e.id for e in lay.edges if e.default}
    steps = {s["key"]: s for s in spec.get("stages", []) if is_step(s) and isinstance(s.get("key"), str)}
    for node in lay.nodes:
        attrs = {"id": node.id, "name": node.name}
        if node.kind == "exclusive" and node.id in defaults:
            attrs["default"] = defaults[node.id]
        if node.kind == "receive":
            message_id = f"Message_{node.id}"
            message = ET.Element(
                _q(BPMN, "message"), {"id": message_id, "name": f"Callback from {steps.get(node.id, {}).get('system')}"}
            )
            root.insert(list(root).index(process), message)
            attrs["messageRef"] = message_id
        element = ET.SubElement(process, _q(BPMN, TAGS[node.kind]), attrs)
        if node.detail and node.kind in {"task", "service", "receive"}:
            text = _step_documentation(node, steps.get(node.id)) if node.kind != "task" else node.detail
            ET.SubElement(element, _q(BPMN, "documentation")).text = text
        elements[node.id] = element
    timers = [_timer(process, node) for node in lay.nodes if node.kind == "receive" and node.timeout_hours]
    for edge in lay.edges:
        ET.SubElement(elements[edge.source], _q(BPMN, "outgoing")).text = edge.id
        ET.SubElement(elements[edge.target], _q(BPMN, "incoming")).text = edge.id
    for edge in lay.edges:
        attrs = {"id": edge.id, "sourceRef": edge.source, "targetRef": edge.target}
        if edge.label:
            attrs["name"] = edge.label
        flow = ET.SubElement(process, _q(BPMN, "sequenceFlow"), attrs)
        expression_text = condition_text(edge.condition) if edge.condition else OUTCOME_EXPRESSIONS.get(edge.outcome)
        if expression_text:  # the rule as stored (keys, raw values); the flow's name is in words
            expression = ET.SubElement(
                flow, _q(BPMN, "conditionExpression"), {_q(XSI, "type"): "bpmn:tFormalExpression"}
            )
            expression.text = expression_text
    diagram = ET.SubElement(root, _q(BPMNDI, "BPMNDiagram"), {"id": "BPMNDiagram_1"})
    plane = ET.SubElement(diagram, _q(BPMNDI, "BPMNPlane"), {"id": "BPMNPlane_1", "bpmnElement": process_id})
    for node in lay.nodes:
        _shape(plane, node.id, node.x, node.y, node.w, node.h)
    for node, timer_id, end_id, flow_id in timers:
        x, y = node.x + node.w // 2 - 18, node.y + node.h - 18
        _shape(plane, timer_id, x, y, 36, 36)
        _shape(plane, end_id, x + 1, y + 70, EVENT, EVENT)
        shape = ET.SubElement(plane, _q(BPMNDI, "BPMNEdge"), {"id": f"{flow_id}_di", "bpmnElement": flow_id})
        for py in (y + 36, y + 70):
            ET.SubElement(shape, _q(DI, "waypoint"), {"x": str(x + 18), "y": str(py)})
    for edge in lay.edges:
        shape = ET.SubElement(plane, _q(BPMNDI, "BPMNEdge"), {"id": f"{edge.id}_di", "bpmnElement": edge.id})
        for px, py in edge.points:
            ET.SubElement(shape, _q(DI, "waypoint"), {"x": str(int(px)), "y": str(int(py))})
    for element in root.iter():  # names are typed by people: keep only what XML 1.0 can carry
        element.attrib.update({k: xml_text(v) for k, v in element.attrib.items()})
        element.text = xml_text(element.text) if element.text else element.text
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
