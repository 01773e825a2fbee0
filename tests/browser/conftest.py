"""Browser tests: Debian's Chromium (/usr/bin/chromium) driven by playwright against pytest-django's live_server.

- No browser is ever downloaded: without /usr/bin/chromium (or the playwright package) the whole package is
  skipped, and with CI=true it fails instead, because CI must run it (.ci/run installs Chromium).
- One browser for the package, a fresh context (cookies, storage) per `new_page()`, 1280x900.
- Data comes from the real services inside the test (`seed_demo_data()`, then the UI itself); tests use
  `@pytest.mark.django_db(transaction=True)` because the live server runs in another thread.
- playwright's sync API keeps an asyncio loop running in the main thread, which trips Django's async-unsafe
  check on every query in the test body. While the browser is up (this package only) DJANGO_ALLOW_ASYNC_UNSAFE
  is set; nothing here is actually async, the test and the server thread never share a query.
- Every page problem fails the test at the next `shot()` (and at teardown): a JavaScript error, a console
  error, a 5xx page, a 4xx for anything but a page (a stylesheet, htmx itself, an htmx request htmx would
  silently not swap), a request to anything but the live server. A page may answer 4xx (a form with errors).
- `shot(page, "name")` writes artifacts/screenshots/<test>-<n>-<name>.png (full page).
"""

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

try:  # test modules import expect from here, so a missing package skips (or fails in CI) in `browser`
    from playwright.sync_api import expect, sync_playwright
except ImportError:
    expect = sync_playwright = None

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 15_000  # actions and navigations; expect() assertions use EXPECT_TIMEOUT_MS
EXPECT_TIMEOUT_MS = 10_000
PASSWORD = "demo"  # every demo user's password (seed_demo)
LOGIN_PATH = "/accounts/login/"

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"

# The live server binds IPv4; "localhost" could make Chromium try ::1 first.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def _unavailable(reason: str):
    if _in_ci():
        pytest.fail(f"browser tests cannot run: {reason} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="package")
def browser():
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"{CHROMIUM} is missing; install Debian's browser: apt-get install -y chromium chromium-driver")
    if sync_playwright is None:
        _unavailable("the playwright package is not installed (pip install -r requirements-dev.txt)")

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# Per test: its name, the screenshot counter and what went wrong in each of its pages.
_current = {"test": "", "n": 0, "problems": {}}


@pytest.fixture(autouse=True)
def _screenshots_of_this_test(request):
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob(f"{name}-*.png"):
        old.unlink()
    _current.update(test=name, n=0, problems={})
    yield


def _watch(page, origin: str) -> list:
    """Record what a healthy page never does; shot() and the teardown fail on it."""
    problems = []

    def on_console(msg):
        # Failed loads are judged by on_response: a page answering 400 to a bad form is fine, a missing
        # stylesheet or a refused htmx request is not.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            problems.append(f"console error: {msg.text} ({(msg.location or {}).get('url', '')})")

    def on_response(response):
        request = response.request
        # An htmx form refused with 400 answers the form with its errors, and wms.js swaps it in
        # ([data-swap-refusals]); the test then sees the errors or fails. Other 4xx are problems.
        refused_form = response.status == 400 and request.headers.get("hx-request") == "true"
        failed = response.status >= 500 or (
            response.status >= 400
            and request.resource_type != "document"
            and not refused_form
            and not request.url.endswith("/favicon.ico")
        )
        if failed:
            problems.append(f"HTTP {response.status} {request.method} {request.url} ({request.resource_type})")

    def on_request(request):
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and f"{parts.scheme}://{parts.netloc}" != origin:
            problems.append(f"request outside the live server: {request.url}")

    page.on("pageerror", lambda exc: problems.append(f"JavaScript error: {exc}"))
    page.on("console", on_console)
    page.on("response", on_response)
    page.on("request", on_request)
    return problems


def _check(page, where: str) -> None:
    problems = _current["problems"].get(id(page))
    if problems:
        found = list(problems)
        problems.clear()
        pytest.fail(f"{where}: page problems:\n  " + "\n  ".join(found), pytrace=False)


@pytest.fixture
def new_page(browser, live_server):
    """new_page(username=None): a page in a fresh browser context (its own cookies), optionally signed in."""
    contexts = []
    pages = []

    def _new_page(username=None):
        context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        # Destructive actions ask first (data-confirm); a test that clicks one means it, unless it
        # says otherwise for the next question (answer_next_dialog).
        page.on("dialog", lambda dialog, page=page: _answer(page, dialog))
        pages.append(page)
        _current["problems"][id(page)] = _watch(page, live_server.url)
        if username:
            login(page, live_server, username)
        return page

    yield _new_page
    try:
        for page in pages:
            _check(page, "at teardown")
    finally:
        for context in contexts:
            context.close()


_next_answers: dict = {}


def answer_next_dialog(page, answer: str) -> None:
    """The next confirm() on `page` is answered "accept" or "dismiss" (the default is accept)."""
    _next_answers[id(page)] = answer


def _answer(page, dialog) -> None:
    if _next_answers.pop(id(page), "accept") == "dismiss":
        dialog.dismiss()
    else:
        dialog.accept()


@pytest.fixture
def page(new_page):
    return new_page()


def shot(page, name: str) -> Path:
    """Full-page screenshot artifacts/screenshots/<test>-<n>-<name>.png; fails on recorded page problems."""
    _current["n"] += 1
    label = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
    path = SCREENSHOTS / f"{_current['test']}-{_current['n']:02d}-{label}.png"
    page.screenshot(path=str(path), full_page=True)
    _check(page, f"screenshot {path.name} ({page.url})")
    return path


def login(page, live_server, username: str, password: str = PASSWORD, *, screenshot: bool = False) -> None:
    """Sign in through the portal's sign-in page; afterwards the header names the user."""
    page.goto(f"{live_server.url}{LOGIN_PATH}")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(password)
    if screenshot:
        shot(page, f"sign-in-{username}")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if urlsplit(page.url).path == LOGIN_PATH:
        pytest.fail(f"signing in as {username} failed: {page.locator('body').inner_text()[:500]}", pytrace=False)
    expect(page.locator("header")).to_contain_text(username)


def path_of(page) -> str:
    """The current path (with query), e.g. '/cases/3/'."""
    parts = urlsplit(page.url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# Reading the portal's pages.

CASE_URL = re.compile(r"/cases/(\d+)/$")


def row_of(page, case_id):
    """The table row of a case (its '#<id>' link), in an inbox or a search result."""
    return page.locator("tr", has=page.get_by_role("link", name=f"#{case_id}", exact=True))


def summary(page, term):
    """The value next to a term of the case summary (Status, Outcome, Now with)."""
    return page.locator("dl.summary dt", has_text=term).locator("xpath=following-sibling::dd[1]")


def timeline_row(page, *words):
    """Timeline rows (case page) containing every one of these words."""
    rows = page.locator("table.timeline tbody tr")
    for word in words:
        rows = rows.filter(has_text=word)
    return rows
