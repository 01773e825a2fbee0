"""UI steps: running a step's declarative script (apps/definitions/ui_spec.py) in headless
Chromium, for systems that have no API. Transport only, like calls.py: nothing here touches the
database; apps.automation leases, records and repairs.

- The browser is Debian's /usr/bin/chromium (settings.WMS_UI_CHROMIUM) driven by playwright's
  sync API; never a downloaded one. One browser per worker process, started on first use and
  reused; a fresh context (cookies, storage) per step.
- playwright's sync API runs an event loop in the thread that started it, and Django refuses
  database work in a thread with a running loop. So the browser lives in one thread of its own
  per process (`_pool`), and the worker's own thread, which records attempts, never sees a loop.
- Placeholders are those of HTTP steps, filled in by calls.template_render; a value placed in a
  selector is quoted so a case field cannot change the selector's meaning.
- Every message, URL and title that leaves here has the values of the secrets the script used
  replaced by *** (calls.redact); the record of a script shows a fill of a secret as ***.
- Failures are classified: a selector that never appears is "page_changed", an `expect_text`
  that fails "text_absent" (or "login_refused" when marked `login`): no retry mends those. A
  page that does not load in time is "timeout", one that does not load at all or answers 5xx
  "unavailable": those are retried.
"""

import logging
import os
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

from django.conf import settings

from apps.core.netguard import url_problem
from apps.definitions.accessors import Field, Stage

from .calls import RequestProblem, Verdict, endpoint_trusted, redact, template_context, template_render
from .models import ExceptionCategory

logger = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 900}
REDACTED = "***"
SCREENSHOT_ON_FAILURE = "failure"
SCREENSHOT_TIMEOUT_MS = 5000
# The longest one run may take, whatever its actions' timeouts add up to (the q2 task of the ui
# cluster gets a little more: settings.Q_CLUSTER["ALT_CLUSTERS"]["ui"]["timeout"]).
DEFAULT_MAX_RUN_SECONDS = 300
RETRYABLE = {ExceptionCategory.TIMEOUT, ExceptionCategory.UNAVAILABLE}

MSG_NO_BROWSER = "The browser could not start ({error}); check that {path} is installed on the worker."
MSG_GOTO_TIMEOUT = "{where}: {url} did not load within {seconds:g} s."
MSG_GOTO_FAILED = "{where}: {url} could not be loaded ({error})."
MSG_GOTO_STATUS = "{where}: {url} answered {status}."
MSG_GOTO_REFUSED = "{where}: not opened: {reason} Configure {system} as {{{{endpoint.NAME}}}} if it is yours."
MSG_STILL_LOADING = "{where}: the page was still loading after {seconds:g} s ({url})."
MSG_SERVER_ERROR = "{where}: the page answered {status} ({url})."
MSG_SELECTOR_MISSING = "{where}: '{selector}' was not found on {url} within {seconds:g} s; the page may have changed."
MSG_OPTION_MISSING = "{where}: '{selector}' has no option '{value}' on {url}; the page may have changed."
MSG_TEXT_ABSENT = "{where}: expected '{text}' in '{selector}' on {url}; found {found}."
MSG_LOGIN_REFUSED = "{where}: the login was refused: expected '{text}' in '{selector}' on {url}; found {found}."
MSG_OUT_OF_TIME = "The script did not finish within {seconds:g} s."
MSG_GUARD_FOUND = "The guard found the work already done in {system}: nothing entered again."
MSG_EXTRACT_INVALID = "{system}'s page shows {value!r} for field '{name}', which does not fit: {problem}"
MSG_EXTRACT_UNKNOWN = "The script writes field '{name}', which this case's workflow version does not have."


@dataclass
class UiScript:
    """A step's script with its placeholders filled in, ready to run; `record` is what the
    attempt history keeps of it (secrets shown as ***)."""

    actions: list
    guard: dict | None
    timeout: float
    system: str
    used_secrets: list = field(default_factory=list)
    record: dict = field(default_factory=dict)


@dataclass
class Screenshot:
    name: str
    png: bytes
    url: str
    title: str
    failure: bool = False


@dataclass
class UiResult:
    outcome: str = "failed"  # "succeeded", "retry" or "failed"
    category: str = ""
    message: str = ""
    guard_found: bool = False
    extracted: dict = field(default_factory=dict)
    screenshots: list = field(default_factory=list)
    url: str = ""
    title: str = ""
    duration_ms: int = 0
    log: list = field(default_factory=list)

    def as_record(self) -> dict:
        """What operators see of the run (the attempt's "response"): redacted already."""
        return {
            "url": self.url,
            "title": self.title,
            "guard_found": self.guard_found,
            "extracted": self.extracted,
            "screenshots": [s.name for s in self.screenshots],
            "log": self.log,
            "duration_ms": self.duration_ms,
        }


class _Failure(Exception):
    def __init__(self, category: str, message: str):
        super().__init__(message)
        self.category = category


# --- building ------------------------------------------------------------------------------------


def _css_quote(value: str) -> str:
    """A value placed in a selector: inside quotes it cannot end the string or the selector."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("'", "\\'")


def _url_quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _text(value) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _render_action(action, render) -> dict:
    done = {"do": action.get("do")}
    for key, value in action.items():
        if key == "do" or not isinstance(value, str):
            done[key] = value
        elif key == "url":
            done[key] = _text(render(value, _url_quote))
        elif key == "selector":
            done[key] = _text(render(value, _css_quote))
        elif key in ("value", "text"):
            done[key] = _text(render(value, None))
        else:
            done[key] = value
    return done


def _recorded(action: dict, template: dict) -> dict:
    if action.get("do") == "fill" and "{{secret." in str(template.get("value", "")).replace(" ", ""):
        return {**action, "value": REDACTED}
    return action


def ui_build(
    *, stage: Stage, data: dict, case_id: int, workflow: str, version: int, idempotency_key: str, system: str
) -> UiScript:
    """The step's guard and script with the case's values filled in; raises RequestProblem
    (missing data, an unknown secret or endpoint) before anything is opened."""
    context = template_context(
        case_id=case_id, workflow=workflow, version=version, step_key=stage.key, idempotency_key=idempotency_key
    )
    used: list[str] = []

    def render(value, escape):
        return template_render(value, data=data, context=context, system=system, used_secrets=used, escape=escape)

    actions = [_render_action(a, render) for a in stage.script]
    guard = None
    if stage.guard is not None:
        guard = {
            "script": [_render_action(a, render) for a in stage.guard.script],
            "found": _text(render(stage.guard.found, _css_quote)),
            "extract": {name: _text(render(sel, _css_quote)) for name, sel in stage.guard.extract.items()},
        }
    record = {"script": [_recorded(a, t) for a, t in zip(actions, stage.script, strict=True)]}
    if guard is not None:
        record["guard"] = {
            **guard,
            "script": [_recorded(a, t) for a, t in zip(guard["script"], stage.guard.script, strict=True)],
        }
    return UiScript(
        actions=actions,
        guard=guard,
        timeout=stage.timeout_seconds,
        system=system,
        used_secrets=used,
        record=redact(record, used),
    )


# --- the browser, one per process, in its own thread ---------------------------------------------

_executor: ThreadPoolExecutor | None = None
_executor_pid: int | None = None
_executor_lock = threading.Lock()
# Touched only from the executor's thread.
_playwright = None
_browser = None


def _pool() -> ThreadPoolExecutor:
    global _executor, _executor_pid
    with _executor_lock:
        if _executor is None or _executor_pid != os.getpid():  # a forked worker starts its own
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wms-ui-browser")
            _executor_pid = os.getpid()
        return _executor


def _chromium() -> str:
    return getattr(settings, "WMS_UI_CHROMIUM", CHROMIUM)


def _browser_get():
    global _playwright, _browser
    if _browser is not None and _browser.is_connected():
        return _browser
    from playwright.sync_api import sync_playwright

    if _playwright is None:
        _playwright = sync_playwright().start()
    args = [*CHROMIUM_ARGS, *(["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])]
    _browser = _playwright.chromium.launch(executable_path=_chromium(), args=args)
    return _browser


def _close() -> None:
    global _playwright, _browser
    try:
        if _browser is not None:
            _browser.close()
        if _playwright is not None:
            _playwright.stop()
    finally:
        _browser = _playwright = None


def ui_browser_close() -> None:
    """Close this process's browser (tests, and a worker that stops); the next run starts one."""
    global _executor
    with _executor_lock:
        executor = _executor if _executor_pid == os.getpid() else None
        _executor = None
    if executor is not None:
        executor.submit(_close).result(timeout=30)
        executor.shutdown(wait=True)


def max_run_seconds() -> float:
    return float(getattr(settings, "WMS_UI_STEP_MAX_SECONDS", DEFAULT_MAX_RUN_SECONDS))


def ui_run(script: UiScript) -> UiResult:
    """Run the guard, then (unless it found the work done) the script. Never raises."""
    budget = max_run_seconds()
    started = time.monotonic()
    future = _pool().submit(_run, script, started + budget)
    try:
        result = future.result(timeout=budget + 30)
    except FutureTimeout:
        result = UiResult(outcome="retry", category=ExceptionCategory.TIMEOUT)
        result.message = MSG_OUT_OF_TIME.format(seconds=budget)
    except Exception as error:
        logger.exception("UI step runner failed")
        result = UiResult(outcome="failed", category=ExceptionCategory.CONFIGURATION, message=str(error))
    result.duration_ms = int((time.monotonic() - started) * 1000)
    result.message = redact(result.message, script.used_secrets)
    return result


# --- running (in the browser's thread) -----------------------------------------------------------


class _Page:
    """One step's page, with what classifying a failure needs: the main frame's navigations
    still waiting for an answer, and the status of the last one that answered."""

    def __init__(self, page, script: UiScript, deadline: float):
        self.page, self.script, self.deadline = page, script, deadline
        self.pending: set = set()
        self.status: int | None = None
        self.refused = ""
        page.on("request", self._request)
        page.on("response", self._response)
        page.on("requestfailed", self._done)
        page.on("requestfinished", self._done)

    def _main(self, request) -> bool:
        try:
            return request.is_navigation_request() and request.frame == self.page.main_frame
        except Exception:
            return False

    def _request(self, request):
        if self._main(request):
            self.pending.add(request)

    def _response(self, response):
        if self._main(response.request):
            self.status = response.status
            self.pending.discard(response.request)

    def _done(self, request):
        self.pending.discard(request)

    def ms(self) -> float:
        """The action's timeout, cut to what is left of the run's budget."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise _Failure(ExceptionCategory.TIMEOUT, MSG_OUT_OF_TIME.format(seconds=max_run_seconds()))
        return max(1.0, min(self.script.timeout, left)) * 1000

    def url(self) -> str:
        return redact(self.page.url, self.script.used_secrets)

    def title(self) -> str:
        try:
            return redact(self.page.title(), self.script.used_secrets)
        except Exception:
            return ""

    def missing(self, where: str, message: str) -> _Failure:
        """A selector or text did not appear: the page changed, unless it never finished loading."""
        if self.pending:
            return _Failure(
                ExceptionCategory.TIMEOUT,
                MSG_STILL_LOADING.format(where=where, seconds=self.script.timeout, url=self.url()),
            )
        if self.status is not None and self.status >= 500:
            return _Failure(
                ExceptionCategory.UNAVAILABLE, MSG_SERVER_ERROR.format(where=where, status=self.status, url=self.url())
            )
        return _Failure(ExceptionCategory.PAGE_CHANGED, message)


def _guard_navigation(script: UiScript, state: _Page):
    """Pages of configured endpoints open; any other address only when it is public (the rule of
    HTTP steps, apps.core.netguard): a script cannot be pointed at the worker's own network."""

    def handler(route, request):
        if request.is_navigation_request():
            problem = None if endpoint_trusted(request.url) else url_problem(request.url)
            if problem:
                state.refused = problem
                route.abort("blockedbyclient")
                return
        route.continue_()

    return handler


def _act(state: _Page, action: dict, where: str, result: UiResult) -> None:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    page, do = state.page, action["do"]
    selector = action.get("selector", "")
    seconds = state.script.timeout
    locator = page.locator(selector).first if selector else None
    try:
        if do == "goto":
            url = action["url"]
            shown = redact(url, state.script.used_secrets)
            try:
                response = page.goto(url, wait_until="load", timeout=state.ms())
            except PlaywrightTimeout as error:
                raise _Failure(
                    ExceptionCategory.TIMEOUT, MSG_GOTO_TIMEOUT.format(where=where, url=shown, seconds=seconds)
                ) from error
            except PlaywrightError as error:
                if state.refused:
                    reason = MSG_GOTO_REFUSED.format(where=where, reason=state.refused, system=state.script.system)
                    raise _Failure(ExceptionCategory.CONFIGURATION, reason) from error
                first = (str(error).strip().splitlines() or ["?"])[0]
                raise _Failure(
                    ExceptionCategory.UNAVAILABLE, MSG_GOTO_FAILED.format(where=where, url=shown, error=first)
                ) from error
            status = response.status if response is not None else None
            if status is not None and status >= 500:
                raise _Failure(
                    ExceptionCategory.UNAVAILABLE, MSG_GOTO_STATUS.format(where=where, url=shown, status=status)
                )
            if status is not None and status >= 400:
                raise _Failure(
                    ExceptionCategory.PAGE_CHANGED, MSG_GOTO_STATUS.format(where=where, url=shown, status=status)
                )
        elif do == "fill":
            locator.fill(action["value"], timeout=state.ms())
        elif do == "select":
            locator.wait_for(state="attached", timeout=state.ms())
            try:
                locator.select_option(action["value"], timeout=state.ms())
            except PlaywrightTimeout as error:
                message = MSG_OPTION_MISSING.format(
                    where=where, selector=selector, value=action["value"], url=state.url()
                )
                raise _Failure(ExceptionCategory.PAGE_CHANGED, message) from error
        elif do == "click":
            locator.click(timeout=state.ms())
            page.wait_for_load_state("load", timeout=state.ms())
        elif do == "wait_for":
            locator.wait_for(state="attached", timeout=state.ms())
        elif do == "extract":
            result.extracted[action["field"]] = locator.inner_text(timeout=state.ms()).strip()
        elif do == "screenshot":
            _shoot(state, result, action["name"])
        elif do == "expect_text":
            try:
                expect(locator).to_contain_text(action["text"], timeout=state.ms())
            except AssertionError as error:
                try:
                    found = repr(locator.inner_text(timeout=500).strip()[:200])
                except PlaywrightError:
                    found = "no such element"
                words = MSG_LOGIN_REFUSED if action.get("login") else MSG_TEXT_ABSENT
                message = words.format(
                    where=where, text=action["text"], selector=selector, url=state.url(), found=found
                )
                failure = state.missing(where, message)
                if failure.category == ExceptionCategory.PAGE_CHANGED:
                    category = ExceptionCategory.LOGIN_REFUSED if action.get("login") else ExceptionCategory.TEXT_ABSENT
                    failure = _Failure(category, message)
                raise failure from error
    except PlaywrightTimeout as error:
        message = MSG_SELECTOR_MISSING.format(where=where, selector=selector, url=state.url(), seconds=seconds)
        raise state.missing(where, message) from error
    except PlaywrightError as error:
        first = (str(error).strip().splitlines() or ["?"])[0]
        raise state.missing(where, f"{where}: {first}") from error
    result.log.append(redact(f"{where}: ok", state.script.used_secrets))


def _shoot(state: _Page, result: UiResult, name: str, *, failure: bool = False) -> None:
    png = state.page.screenshot(full_page=True, type="png", timeout=SCREENSHOT_TIMEOUT_MS)
    result.screenshots.append(Screenshot(name=name, png=png, url=state.url(), title=state.title(), failure=failure))


def _run(script: UiScript, deadline: float) -> UiResult:
    result = UiResult()
    try:
        browser = _browser_get()
    except Exception as error:
        result.category = ExceptionCategory.CONFIGURATION
        result.message = MSG_NO_BROWSER.format(
            error=f"{type(error).__name__}: {error}".splitlines()[0], path=_chromium()
        )
        return result
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=False, service_workers="block")
    try:
        page = context.new_page()
        state = _Page(page, script, deadline)
        context.route("**/*", _guard_navigation(script, state))
        try:
            if script.guard is not None:
                for number, action in enumerate(script.guard["script"], 1):
                    _act(state, action, f"Guard action {number} ({action['do']})", result)
                if page.locator(script.guard["found"]).count() > 0:
                    result.guard_found = True
                    for name, selector in script.guard["extract"].items():
                        result.extracted[name] = page.locator(selector).first.inner_text(timeout=state.ms()).strip()
                    result.outcome, result.message = "succeeded", MSG_GUARD_FOUND.format(system=script.system)
                    return result
            for number, action in enumerate(script.actions, 1):
                _act(state, action, f"Action {number} ({action['do']})", result)
            result.outcome = "succeeded"
        except _Failure as failed:
            result.outcome = "retry" if failed.category in RETRYABLE else "failed"
            result.category, result.message = failed.category, str(failed)
            try:
                if (
                    state.pending
                ):  # a page still loading is not drawn: stop it (Chromium's own call), draw what is there
                    context.new_cdp_session(page).send("Page.stopLoading")
                _shoot(state, result, SCREENSHOT_ON_FAILURE, failure=True)
            except Exception:
                logger.info("no screenshot of the failed page")
        finally:
            result.url, result.title = state.url(), state.title()
            result.extracted = redact(result.extracted, script.used_secrets)
            result.log = redact(result.log, script.used_secrets)
    finally:
        try:
            context.close()
        except Exception:
            logger.info("the step's browser context did not close cleanly")
    return result


# --- judging -------------------------------------------------------------------------------------


def ui_judge(result: UiResult, *, fields: tuple[Field, ...], system: str) -> Verdict:
    """What the run means for the step: succeeded (with the extracted fields, validated like an
    HTTP step's response map), retry, or failed, and why."""
    if result.outcome != "succeeded":
        return Verdict(result.outcome, result.category, result.message)
    by_name = {f.name: f for f in fields}
    mapped = {}
    for name, value in result.extracted.items():
        if name not in by_name:
            return Verdict("failed", ExceptionCategory.CONFIGURATION, MSG_EXTRACT_UNKNOWN.format(name=name))
        try:
            mapped[name] = by_name[name].clean_value(value) if value != "" else None
        except (ValueError, TypeError) as problem:
            message = MSG_EXTRACT_INVALID.format(system=system, value=value, name=name, problem=problem)
            return Verdict("failed", ExceptionCategory.BAD_DATA, message)
    return Verdict("succeeded", message=result.message, mapped=mapped)


__all__ = [
    "RequestProblem",
    "Screenshot",
    "UiResult",
    "UiScript",
    "ui_browser_close",
    "ui_build",
    "ui_judge",
    "ui_run",
]
