"""A Content-Security-Policy on every page, and templates that need no exception to it (issue 10,
item 2): if an escaping slip ever lets a name become markup again, the browser still runs no
script from it. htmx is configured to work without eval and without injecting a style."""

import json
import re
from pathlib import Path

import pytest

from tests.conftest import open_tasks

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"

# One URL per kind of page (and per template behind it), whatever answer it gives the admin.
PAGES = [
    "/",
    "/inbox/",
    "/requests/",
    "/requests/new/",
    "/requests/new/purchase-approval/",
    "/cases/{case}/",
    "/cases/{case}/history/",
    "/tasks/{task}/",
    "/audit/cases/",
    "/away/",
    "/calendars/",
    "/calendars/new/",
    "/notifications/",
    "/notifications/failed/",
    "/builder/",
    "/builder/import/",
    "/builder/purchase-approval/",
    "/builder/purchase-approval/versions/1/",
    "/builder/purchase-approval/versions/1/sop/",
    "/builder/purchase-approval/diff/",
    "/builder/purchase-approval/tester/",
    "/builder/purchase-approval/impact/",
    "/integrations/",
    "/integrations/new/",
    "/integrations/inbound/",
    "/integrations/dead-letters/",
    "/exceptions/",
    "/dashboards/",
    "/dashboards/purchase-approval/",
    "/dashboards/cases/?workflow=purchase-approval&panel=wip&ref=open",
    "/demo/erp/",
    "/demo/supplier/",
    "/demo/supplier/portal/login/",
    "/admin/",
    "/admin/auth/user/",
    "/api/docs/",
    "/api/schema/",
    "/api/v1/cases/",
    "/cases/999999999/",  # 404 page
]


def _directives(header: str) -> dict[str, list[str]]:
    parts = [p.strip().split() for p in header.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def _assert_strict_scripts(response, url):
    header = response.get("Content-Security-Policy")
    assert header, f"{url} ({response.status_code}) has no Content-Security-Policy"
    policy = _directives(header)
    assert policy["script-src"] == ["'self'"], (url, header)
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"], (url, header)
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"], (url, header)
    return policy


@pytest.fixture
def case(start_purchase):
    return start_purchase()


def test_every_page_type_answers_with_a_strict_policy(client, demo, case):
    client.force_login(demo["admin"])
    task = open_tasks(case)[0]
    for template in PAGES:
        url = template.format(case=case.pk, task=task.pk)
        response = client.get(url)
        assert response.status_code < 500, url
        policy = _assert_strict_scripts(response, url)
        assert policy["default-src"] == ["'self'"], url
        assert policy["img-src"] == ["'self'", "data:"], url
        assert policy["style-src"] == ["'self'"], url


def test_pages_for_people_not_signed_in_and_refusals_carry_it_too(client, demo, case):
    assert _assert_strict_scripts(client.get("/accounts/login/"), "login")
    assert _assert_strict_scripts(client.get("/inbox/"), "redirect to login")
    client.force_login(demo["bob"])
    refused = client.get("/builder/")
    assert refused.status_code == 403 and _assert_strict_scripts(refused, "403")


def test_htmx_fragments_carry_it(client, demo, case):
    client.force_login(demo["admin"])
    response = client.get("/inbox/", HTTP_HX_REQUEST="true")
    assert _assert_strict_scripts(response, "inbox fragment")


def test_swagger_ui_needs_no_exception_its_start_script_is_a_file(client, demo):
    response = client.get("/api/docs/")
    assert _assert_strict_scripts(response, "/api/docs/")["style-src"] == ["'self'"]
    html = response.content.decode()
    assert not re.search(r"<style\b|\sstyle=", html)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "Swagger UI's start script must be a file"
    (script_url,) = re.findall(r'<script src="([^"]*script=[^"]*)"', html)
    start = client.get(script_url.replace("&amp;", "&"))
    assert start.status_code == 200 and "SwaggerUIBundle(" in start.content.decode()


def test_the_page_configures_htmx_for_the_policy(client, demo):
    client.force_login(demo["alice"])
    html = client.get("/").content.decode()
    (config,) = re.findall(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    settings = json.loads(config)
    assert settings["includeIndicatorStyles"] is False and settings["allowEval"] is False
    assert "style" not in settings["attributesToSettle"]  # htmx would copy style attributes after a swap
    assert re.search(r'<script src="/static/django_htmx/htmx-2[^"]*\.js" defer></script>', html)
    assert re.search(r'<script src="/static/js/wms\.js" defer></script>', html)


TEMPLATE_FILES = sorted(TEMPLATES.rglob("*.html")) + sorted(TEMPLATES.rglob("*.svg"))
FORBIDDEN = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "style attribute": re.compile(r"\bstyle\s*=", re.I),
    "style element": re.compile(r"<style\b", re.I),
    "event handler attribute": re.compile(r"\s(data-)?on[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "htmx inline handler (hx-on)": re.compile(r"\b(data-)?hx-on", re.I),
    "htmx evaluated values (js:)": re.compile(r"hx-(vals|vars)\s*=\s*['\"]\s*(js|javascript):", re.I),
    "markup marked safe in a template": re.compile(r"\|\s*safe\b|{%\s*autoescape\s+off", re.I),
}


def test_there_are_templates_to_scan():
    assert len(TEMPLATE_FILES) > 40


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_needs_an_exception_to_the_policy(path):
    text = path.read_text()
    found = [f"{what}: {m.group(0).strip()!r}" for what, rule in FORBIDDEN.items() for m in rule.finditer(text)]
    assert found == []


def test_htmx_indicator_styles_live_in_the_stylesheet():
    """htmx is told not to inject its own <style>, so the stylesheet carries its indicator rules."""
    css = (STATIC / "css" / "wms.css").read_text()
    assert ".htmx-indicator" in css and ".htmx-request .htmx-indicator" in css
