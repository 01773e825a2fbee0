"""The charts: SVG the policy accepts as it is, every label escaped, and pygal's rules served as a
stylesheet of this site."""

import re

from apps.dashboards.charts import bar_chart, chart_stylesheet, line_chart


def test_a_chart_has_no_script_no_style_and_escapes_its_labels():
    svg = str(
        bar_chart(
            title="Open cases by stage",
            labels=['<script>alert("x")</script>', "review"],
            series=[("open cases", [2, 1], ["/dashboards/cases/?panel=wip&ref=stage%3Ax", None])],
        )
    )
    assert svg.startswith("<svg") and 'class="pygal-chart"' in svg
    assert not re.search(r"<script|<style|\sstyle=|\sid=\"\"", svg)
    assert "&lt;script&gt;" in svg and "<script>alert" not in svg
    assert 'href="/dashboards/cases/?panel=wip&amp;ref=stage%3Ax"' in svg


def test_a_line_chart_skips_a_missing_value():
    svg = str(
        line_chart(title="Cycle time", labels=["2026-11-02", "2026-11-09"], series=[("p50", [3.0, None], ["/a", "/b"])])
    )
    assert svg.count('href="/a"') == 1 and 'href="/b"' not in svg


def test_the_stylesheet_is_pygals_scoped_to_the_charts_class(client):
    response = client.get("/dashboards/charts.css")
    assert response.status_code == 200 and response["Content-Type"] == "text/css; charset=utf-8"
    css = response.content.decode()
    assert css == chart_stylesheet()
    assert ".pygal-chart .color-0" in css and "#2f5bea" in css.lower()
    assert "#chart-" not in css and "&gt;" not in css
