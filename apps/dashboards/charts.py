"""The panels' charts: SVG drawn on the server by pygal, safe under the Content-Security-Policy.

pygal writes a <style> element (and, unless told not to, a <script>) into every chart. The policy
runs no inline script or style, so each chart is drawn without either: `js=[]`, and an XML filter
drops the <style>, the style attributes and the empty id. The same rules come from a stylesheet
of this site instead (`chart_stylesheet`, served at /dashboards/charts.css), written by pygal
itself for our style with the selectors scoped to `.pygal-chart`, so the two never drift apart.

Every bar or point links to the cases behind it (the drill-down page), like the numbers in the
table under the chart.
"""

import re
from functools import lru_cache

import pygal
from django.utils.safestring import SafeString
from pygal.style import Style

CHART_CLASS = "pygal-chart"
SVG = "{http://www.w3.org/2000/svg}"
PALETTE = ("#2f5bea", "#e08a1e", "#1f7a46", "#b42c2c", "#7a4fd1", "#1d8fa8", "#8a6d3b", "#5b6477")
STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    foreground="#1d2433",
    foreground_strong="#1d2433",
    foreground_subtle="#e3e7ee",
    opacity=".85",
    opacity_hover=".95",
    transition="150ms",
    colors=PALETTE,
    font_family='system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
    value_font_size=12,
    title_font_size=14,
    tooltip_font_size=12,
    no_data_font_size=16,
)
COMMON = {
    "style": STYLE,
    "js": [],  # no script: the policy would refuse it, and the numbers are in the table anyway
    "css": [],  # no stylesheet read and inlined per chart: the filter would drop it (chart_stylesheet)
    "disable_xml_declaration": True,
    "explicit_size": False,
    "width": 640,
    "height": 260,
    "legend_at_bottom": True,
    "legend_at_bottom_columns": 4,
    "print_values": False,
    "no_data_text": "Nothing to show",
    "margin": 12,
    "truncate_label": 24,
    "truncate_legend": 28,
}


def _policy_safe(root):
    """pygal's XML filter: no <style>, no <script>, no style attribute, our class on the root."""
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in (f"{SVG}style", "style", f"{SVG}script", "script"):
                parent.remove(child)
    for node in root.iter():
        node.attrib.pop("style", None)
    root.attrib.pop("id", None)
    root.set("class", CHART_CLASS)
    root.set("role", "img")
    return root


def _point(value, href: str | None, label: str = ""):
    point = {"value": value}
    if href:
        point["xlink"] = {"href": href}
    if label:
        point["label"] = label
    return point


def _count_ticks(top) -> list[int]:
    """Whole numbers on a count axis (pygal would mark 0.2, 0.4 ... for a count of one)."""
    top = max(int(top or 0), 1)
    step = max(1, -(-top // 5))
    return list(range(0, top + step, step))


def _render(chart) -> SafeString:
    chart.add_xml_filter(_policy_safe)
    # pygal serialises with ElementTree, which escapes every label and title: nothing hand-built.
    return SafeString(chart.render(is_unicode=True))


def _frozen(series) -> tuple:
    return tuple((name, tuple(values), tuple(hrefs)) for name, values, hrefs in series)


def bar_chart(*, title: str, labels: list[str], series: list[tuple[str, list, list]], stacked=False, horizontal=False):
    """series: [(name, values, hrefs)], one value and one drill-down link per label."""
    return _bar_chart(title, tuple(labels), _frozen(series), stacked, horizontal)


def line_chart(*, title: str, labels: list[str], series: list[tuple[str, list, list]], y_title: str = ""):
    return _line_chart(title, tuple(labels), _frozen(series), y_title)


# A chart is a pure function of its title, labels, values and links (the SVG holds no random id:
# the filter drops it), and pygal takes tens of milliseconds to draw one; a dashboard looked at
# again with the same numbers gets its charts from this process's memory (bench/README).
CHARTS_REMEMBERED = 256


@lru_cache(maxsize=CHARTS_REMEMBERED)
def _bar_chart(title: str, labels: tuple, series: tuple, stacked: bool, horizontal: bool) -> SafeString:
    kind = {
        (False, False): pygal.Bar,
        (True, False): pygal.StackedBar,
        (False, True): pygal.HorizontalBar,
        (True, True): pygal.HorizontalStackedBar,
    }[(stacked, horizontal)]
    chart = kind(title=title, show_legend=len(series) > 1, **COMMON)
    chart.x_labels = list(labels)
    totals = [sum(v or 0 for v in column) for column in zip(*(values for _, values, _ in series), strict=True)]
    chart.y_labels = _count_ticks(
        max(totals) if stacked and totals else max((max(v) for _, v, _ in series if v), default=0)
    )
    for name, values, hrefs in series:
        chart.add(name, [_point(v, h) for v, h in zip(values, hrefs, strict=True)])
    return _render(chart)


@lru_cache(maxsize=CHARTS_REMEMBERED)
def _line_chart(title: str, labels: tuple, series: tuple, y_title: str) -> SafeString:
    chart = pygal.Line(
        title=title,
        y_title=y_title,
        show_legend=True,
        dots_size=4,
        min_scale=3,
        max_scale=6,
        include_x_axis=True,
        **COMMON,
    )
    chart.x_labels = list(labels)
    for name, values, hrefs in series:
        chart.add(name, [_point(v, h) if v is not None else None for v, h in zip(values, hrefs, strict=True)])
    return _render(chart)


@lru_cache(maxsize=1)
def chart_stylesheet() -> str:
    """The CSS pygal would have put inside each chart, for our style and enough colours, with its
    selectors scoped to the charts' class instead of one chart's id."""
    chart = pygal.Bar(style=STYLE, js=[], disable_xml_declaration=True)
    for index in range(len(PALETTE) * 2):
        chart.add(str(index), [1])
    svg = chart.render(is_unicode=True)
    css = re.search(r"<style[^>]*>(.*?)</style>", svg, re.S).group(1)
    css = css.replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")
    css = re.sub(r"#chart-[0-9a-f-]+", f".{CHART_CLASS}", css)
    # Without its script a chart never shows pygal's tooltip; the table says the same.
    return css + f"\n.{CHART_CLASS} .tooltip{{display:none}}\n"
