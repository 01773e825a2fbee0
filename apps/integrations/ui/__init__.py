"""UI steps: running a step's declarative script (apps/definitions/ui_spec.py) in headless
Chromium, for systems that have no API. Transport only, like calls.py: nothing here touches the
database; apps.automation leases, records and repairs.

- The browser is Debian's /usr/bin/chromium (settings.WMS_UI_CHROMIUM) driven by playwright's
  sync API; never a downloaded one. One browser per worker process, started on first use and
  reused; a fresh context (cookies, storage) per step.
- playwright's sync API runs an event loop in the thread that started it, and Django refuses
  database work in a thread with a running loop. So the browser lives in one thread of its own
  per process (ui/browser.py), and the worker's own thread, which records attempts, never sees a loop.
- Placeholders are those of HTTP steps, filled in by calls.template_render; a value placed in a
  selector is quoted so a case field cannot change the selector's meaning.
- Every message, URL and title that leaves here has the values of the secrets the script used
  replaced by *** (calls.redact); the record of a script shows a fill of a secret as ***.
- Failures are classified: a selector that never appears is "page_changed", an `expect_text`
  that fails "text_absent" (or "login_refused" when marked `login`): no retry mends those. A
  page that does not load in time is "timeout", one that does not load at all or answers 5xx
  "unavailable": those are retried.
"""

from .browser import CHROMIUM, max_run_seconds, ui_browser_close
from .run import ui_run
from .script import RequestProblem, Screenshot, UiResult, UiScript, ui_build, ui_judge

__all__ = [
    "CHROMIUM",
    "RequestProblem",
    "Screenshot",
    "UiResult",
    "UiScript",
    "max_run_seconds",
    "ui_browser_close",
    "ui_build",
    "ui_judge",
    "ui_run",
]
