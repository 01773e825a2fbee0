"""A version as BPMN 2.0 XML, with the diagram interchange section so BPMN tools (Camunda
Modeler, bpmn.io) open it laid out as on our page. Generated from the same layout as the SVG."""

import xml.etree.ElementTree as ET

from .diagram import layout

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
    "parallel": "parallelGateway",
    "exclusive": "exclusiveGateway",
}


def _q(ns, tag):
    return f"{{{ns}}}{tag}"


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
    for node in lay.nodes:
        attrs = {"id": node.id, "name": node.name}
        if node.kind == "exclusive" and node.id in defaults:
            attrs["default"] = defaults[node.id]
        element = ET.SubElement(process, _q(BPMN, TAGS[node.kind]), attrs)
        if node.detail and node.kind == "task":
            ET.SubElement(element, _q(BPMN, "documentation")).text = node.detail
        elements[node.id] = element
    for edge in lay.edges:
        ET.SubElement(elements[edge.source], _q(BPMN, "outgoing")).text = edge.id
        ET.SubElement(elements[edge.target], _q(BPMN, "incoming")).text = edge.id
    for edge in lay.edges:
        attrs = {"id": edge.id, "sourceRef": edge.source, "targetRef": edge.target}
        if edge.label:
            attrs["name"] = edge.label
        flow = ET.SubElement(process, _q(BPMN, "sequenceFlow"), attrs)
        if edge.condition:
            expression = ET.SubElement(
                flow, _q(BPMN, "conditionExpression"), {_q(XSI, "type"): "bpmn:tFormalExpression"}
            )
            expression.text = edge.label
    diagram = ET.SubElement(root, _q(BPMNDI, "BPMNDiagram"), {"id": "BPMNDiagram_1"})
    plane = ET.SubElement(diagram, _q(BPMNDI, "BPMNPlane"), {"id": "BPMNPlane_1", "bpmnElement": process_id})
    for node in lay.nodes:
        shape = ET.SubElement(plane, _q(BPMNDI, "BPMNShape"), {"id": f"{node.id}_di", "bpmnElement": node.id})
        ET.SubElement(
            shape, _q(DC, "Bounds"), {"x": str(node.x), "y": str(node.y), "width": str(node.w), "height": str(node.h)}
        )
    for edge in lay.edges:
        shape = ET.SubElement(plane, _q(BPMNDI, "BPMNEdge"), {"id": f"{edge.id}_di", "bpmnElement": edge.id})
        for px, py in edge.points:
            ET.SubElement(shape, _q(DI, "waypoint"), {"x": str(int(px)), "y": str(int(py))})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
