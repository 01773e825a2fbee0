"""Production serves its static files itself (issue 13): `collectstatic` writes them under hashed,
compressed names (wms/staticfiles.py), WhiteNoise serves them from the web process with caching
headers, and the pages link to exactly those names, under the Content-Security-Policy."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from wms.staticfiles import StaticFilesStorage

ROOT = Path(__file__).resolve().parent.parent
# The big libraries' files are left out to keep the test quick; the cluster run
# (tests/test_cluster.py) collects everything, as the production start does.
SKIP = ["admin", "rest_framework", "drf_spectacular_sidecar", "viewflow", "*.map"]
# What a browser fetches on a portal page: the stylesheet, htmx (from django-htmx), our script, the icon.
TYPES = {"css": "text/css", "js": "text/javascript", "svg": "image/svg+xml", "png": "image/png", "ico": "image/"}
PAGE_ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')


@pytest.fixture(scope="module")
def production_storages() -> dict:
    """STORAGES as wms/settings/production.py sets them, read in a process of its own (the module
    reads its secrets and hosts from the environment when first imported)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "wms.settings.production"}
    env.update(SECRET_KEY="s" * 60, ALLOWED_HOSTS="testserver")
    code = "import json, django; django.setup(); from django.conf import settings; print(json.dumps(settings.STORAGES))"
    answer = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert answer.returncode == 0, answer.stderr
    return json.loads(answer.stdout)


@pytest.fixture(scope="module")
def static_root(tmp_path_factory, production_storages):
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=root, STORAGES=production_storages):
        call_command("collectstatic", interactive=False, verbosity=0, ignore_patterns=SKIP)
    return root


@pytest.fixture
def prod_static(static_root, production_storages):
    with override_settings(STATIC_ROOT=static_root, STORAGES=production_storages, DEBUG=False):
        yield static_root


def test_pages_link_hashed_files_that_whitenoise_serves_with_long_caching(prod_static):
    client = Client()  # a new handler: its WhiteNoise reads the collected tree
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assets = PAGE_ASSET.findall(page.content.decode())
    assert {re.sub(r"\.[0-9a-f]{12}\.", ".", a) for a in assets} >= {
        "/static/css/wms.css",
        "/static/js/wms.js",
    }
    assert any("/static/django_htmx/" in a for a in assets), assets
    script_src = page["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    assert script_src.split() == ["'self'"]  # same-origin files, nothing inline

    for url in assets:  # the stylesheet, the scripts, the favicon
        assert re.search(r"\.[0-9a-f]{12}\.\w+$", url), f"{url} is not a hashed name"
        answer = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert answer.status_code == 200, url
        body = b"".join(answer.streaming_content)
        assert "immutable" in answer["Cache-Control"] and "max-age=315360000" in answer["Cache-Control"], url
        assert answer["Content-Type"].startswith(TYPES[url.rsplit(".", 1)[1]]), url
        assert answer["X-Content-Type-Options"] == "nosniff"
        if url.endswith((".css", ".js")):
            assert answer["Content-Encoding"] == "gzip" and body[:2] == b"\x1f\x8b", url


def test_a_file_that_was_not_collected_is_a_404_not_a_page(prod_static):
    answer = Client().get("/static/js/nothing-here.js")
    assert answer.status_code == 404


def test_collected_tree_keeps_a_stylesheets_reference_to_a_missing_file_and_hashes_the_rest(tmp_path):
    """viewflow ships a stylesheet naming fonts it does not contain: collectstatic must not stop
    there, and a reference to a file that is there is still rewritten to its hashed name."""
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / "here.woff2").write_bytes(b"font")
    (tmp_path / "fonts" / "faces.css").write_text(
        "@font-face{src:url(here.woff2)}\n@font-face{src:url(missing.woff2)}\n"
    )
    storage = StaticFilesStorage(location=tmp_path, base_url="/static/")
    paths = {name: (storage, name) for name in ("fonts/here.woff2", "fonts/faces.css")}
    results = list(storage.post_process(paths, dry_run=False))
    errors = [processed for _, _, processed in results if isinstance(processed, Exception)]
    assert not errors
    hashed_css = storage.stored_name("fonts/faces.css")
    css = (tmp_path / hashed_css).read_text()
    assert re.search(r"url\(\"?here\.[0-9a-f]{12}\.woff2\"?\)", css), css
    assert "url(missing.woff2)" in css or 'url("missing.woff2")' in css, css
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        storage.stored_name("fonts/never-collected.css")  # a template naming it fails loudly
