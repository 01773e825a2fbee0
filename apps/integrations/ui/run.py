"""Running a script in the browser's thread: each action, the guard, the screenshots, and the
classification of a failure (page changed, login refused, text absent, timeout, unavailable)."""

import logging
import time
from concurrent.futures import TimeoutError as FutureTimeout

from apps.core.netguard import url_problem

from ..calls import endpoint_trusted, redact
from ..models import ExceptionCategory
from .browser import browser_get, browser_pool, chromium_path, max_run_seconds
from .script import Failure, Screenshot, UiResult, UiScript

logger = logging.getLogger(__name__)

VIEWPORT = {"width": 1280, "height": 900}
SCREENSHOT_ON_FAILURE = "failure"
SCREENSHOT_TIMEOUT_MS = 5000
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


def ui_run(script: UiScript) -> UiResult:
    """Run the guard, then (unless it found the work done) the script. Never raises."""
    budget = max_run_seconds()
    started = time.monotonic()
    future = browser_pool().submit(_run, script, started + budget)
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
            raise Failure(ExceptionCategory.TIMEOUT, MSG_OUT_OF_TIME.format(seconds=max_run_seconds()))
        return max(1.0, min(self.script.timeout, left)) * 1000

    def url(self) -> str:
        return redact(self.page.url, self.script.used_secrets)

    def title(self) -> str:
        try:
            return redact(self.page.title(), self.script.used_secrets)
        except Exception:
            return ""

    def missing(self, where: str, message: str) -> Failure:
        """A selector or text did not appear: the page changed, unless it never finished loading."""
        if self.pending:
            return Failure(
                ExceptionCategory.TIMEOUT,
                MSG_STILL_LOADING.format(where=where, seconds=self.script.timeout, url=self.url()),
            )
        if self.status is not None and self.status >= 500:
            return Failure(
                ExceptionCategory.UNAVAILABLE, MSG_SERVER_ERROR.format(where=where, status=self.status, url=self.url())
            )
        return Failure(ExceptionCategory.PAGE_CHANGED, message)


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
                raise Failure(
                    ExceptionCategory.TIMEOUT, MSG_GOTO_TIMEOUT.format(where=where, url=shown, seconds=seconds)
                ) from error
            except PlaywrightError as error:
                if state.refused:
                    reason = MSG_GOTO_REFUSED.format(where=where, reason=state.refused, system=state.script.system)
                    raise Failure(ExceptionCategory.CONFIGURATION, reason) from error
                first = (str(error).strip().splitlines() or ["?"])[0]
                raise Failure(
                    ExceptionCategory.UNAVAILABLE, MSG_GOTO_FAILED.format(where=where, url=shown, error=first)
                ) from error
            status = response.status if response is not None else None
            if status is not None and status >= 500:
                raise Failure(
                    ExceptionCategory.UNAVAILABLE, MSG_GOTO_STATUS.format(where=where, url=shown, status=status)
                )
            if status is not None and status >= 400:
                raise Failure(
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
                raise Failure(ExceptionCategory.PAGE_CHANGED, message) from error
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
                    failure = Failure(category, message)
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


def _guard_found(state: _Page, guard: dict, result: UiResult) -> bool:
    """Is the guard's `found` on the page? If so, read its `extract` fields off it."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        if state.page.locator(guard["found"]).count() == 0:
            return False
        for name, selector in guard["extract"].items():
            result.extracted[name] = state.page.locator(selector).first.inner_text(timeout=state.ms()).strip()
    except PlaywrightError as error:
        where = "Guard extract" if guard["extract"] else "Guard found"
        message = MSG_SELECTOR_MISSING.format(
            where=where,
            selector=", ".join(guard["extract"].values()) or guard["found"],
            url=state.url(),
            seconds=state.script.timeout,
        )
        raise state.missing(where, message) from error
    result.guard_found = True
    return True


def _run(script: UiScript, deadline: float) -> UiResult:
    result = UiResult()
    try:
        browser = browser_get()
    except Exception as error:
        result.category = ExceptionCategory.CONFIGURATION
        result.message = MSG_NO_BROWSER.format(
            error=f"{type(error).__name__}: {error}".splitlines()[0], path=chromium_path()
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
                if _guard_found(state, script.guard, result):
                    result.outcome, result.message = "succeeded", MSG_GUARD_FOUND.format(system=script.system)
                    return result
            for number, action in enumerate(script.actions, 1):
                _act(state, action, f"Action {number} ({action['do']})", result)
            result.outcome = "succeeded"
        except Failure as failed:
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
