"""The diagram's optional overlay (the dashboards' bottleneck view paints numbers on it): marks on
nodes and stage frames, a legend, links, every word escaped by ElementTree; without one the
drawing is the builder's, byte for byte."""

import xml.etree.ElementTree as ET

from apps.definitions.diagram import Mark, Overlay, approver_node_id, render_svg

SVG = "{http://www.w3.org/2000/svg}"
SPEC = {
    "fields": [{"name": "amount", "type": "decimal", "label": "Amount"}],
    "stages": [
        {"key": "erp", "name": "Book it", "type": "wait", "system": "ERP"},
        {"key": "review", "name": "Review", "approvers": [{"key": "boss", "label": "Boss", "type": "manager"}]},
    ],
}


def test_marks_frames_and_a_legend_escaped_and_linked():
    hostile = '<script>alert("x")</script> & "quotes"'
    overlay = Overlay(
        nodes={
            approver_node_id("review", "boss", 0): Mark(
                fill="#8f1d10", label=hostile, ink="#ffffff", href='/x?a=1&b="2"'
            ),
            "erp": Mark(fill="#fff3c4", label="2.0 h / 5.6 h, 67 %"),
        },
        stages={"review": Mark(fill="#fdd08a", label="Review: 6.0 h / 9.2 h, 100 %")},
        legend=[("#fff3c4", "0–3 h"), ("#8f1d10", "12–16 h")],
        legend_title="p50:",
    )
    svg = str(render_svg(SPEC, title="t", overlay=overlay))
    root = ET.fromstring(svg)  # well-formed: everything escaped for its place
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    link = next(a for a in root.iter(f"{SVG}a") if a.find(f"{SVG}g").get("data-key") == "review_boss")
    assert link.get("href") == '/x?a=1&b="2"'
    boss = link.find(f"{SVG}g")
    assert boss.find(f"{SVG}rect").get("fill") == "#8f1d10"
    assert [t.text for t in boss.iter(f"{SVG}text")] == ["Boss", hostile[:29] + "…"]
    erp = next(g for g in root.iter(f"{SVG}g") if g.get("data-key") == "erp")
    assert "2.0 h / 5.6 h, 67 %" in [t.text for t in erp.iter(f"{SVG}text")]
    frame = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "stage-frame")
    assert frame.find(f"{SVG}rect").get("fill") == "#fdd08a"
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    assert [t.text for t in legend.iter(f"{SVG}text")] == ["p50:", "0–3 h", "12–16 h"]
    assert "style" not in svg
    # The legend adds its row under the drawing.
    assert int(root.get("height")) == int(ET.fromstring(str(render_svg(SPEC))).get("height")) + 44


def test_without_an_overlay_the_drawing_is_unchanged():
    assert render_svg(SPEC, title="t") == render_svg(SPEC, title="t", overlay=None)
    assert "marked" not in render_svg(SPEC) and "stage-frame" not in render_svg(SPEC)
