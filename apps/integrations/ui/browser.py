"""The browser: one per worker process, started on first use, in a thread of its own.

NOTE: playwright's sync API runs an event loop in the thread that started it, and Django refuses
database work in a thread with a running loop; so the browser never lives in the worker's thread.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-sync"]
# The longest one run may take, whatever its actions' timeouts add up to (the q2 task of the ui
# cluster gets a little more: settings.Q_CLUSTER["ALT_CLUSTERS"]["ui"]["timeout"]).
DEFAULT_MAX_RUN_SECONDS = 300


_executor: ThreadPoolExecutor | None = None
_executor_pid: int | None = None
_executor_lock = threading.Lock()
# Touched only from the executor's thread.
_playwright = None
_browser = None


def browser_pool() -> ThreadPoolExecutor:
    global _executor, _executor_pid
    with _executor_lock:
        if _executor is None or _executor_pid != os.getpid():  # a forked worker starts its own
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wms-ui-browser")
            _executor_pid = os.getpid()
        return _executor


def chromium_path() -> str:
    return getattr(settings, "WMS_UI_CHROMIUM", CHROMIUM)


def browser_get():
    global _playwright, _browser
    if _browser is not None and _browser.is_connected():
        return _browser
    from playwright.sync_api import sync_playwright

    if _playwright is None:
        _playwright = sync_playwright().start()
    args = [*CHROMIUM_ARGS, *(["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])]
    _browser = _playwright.chromium.launch(executable_path=chromium_path(), args=args)
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
