"""The "ui" step: a short declarative script a worker runs in headless Chromium against a web
page that has no API (apps/integrations/ui.py runs it). This module holds its vocabulary and
the publish-time checks; spec.check_step calls `check_ui_step`.

A script is a list of actions, each an object with "do" and the action's own keys::

    {"do": "goto", "url": "{{endpoint.PORTAL}}/login/"}
    {"do": "fill", "selector": "#username", "value": "{{secret.PORTAL_USER}}"}
    {"do": "select", "selector": "#currency", "value": "{{field.currency}}"}
    {"do": "click", "selector": "button[type=submit]"}
    {"do": "wait_for", "selector": "#order-number"}
    {"do": "expect_text", "selector": "h1", "text": "Orders", "login": true}
    {"do": "extract", "selector": "#order-number", "field": "supplier_order_number"}
    {"do": "screenshot", "name": "order entered"}

No code runs: selectors are CSS (Playwright's CSS, so `:has-text()` works), values are text with
the placeholders of HTTP steps. A secret may only be the value of a `fill`, and only when every
`goto` of the step (its guard's included) goes to a configured {{endpoint.NAME}}.
"""

import re
from urllib.parse import urlsplit

from apps.core.netguard import host_problem

from .approval_checks import finite_number
from .placeholders import PLACEHOLDER, PLACEHOLDER_NAMES

UI_ACTIONS = ["goto", "fill", "select", "click", "wait_for", "expect_text", "extract", "screenshot"]
# A guard only looks things up; `expect_text` lets it check that its sign-in worked ("login": true),
# so a refused login is *login refused*, not a missing element of the page after it.
GUARD_ACTIONS = ["goto", "fill", "select", "click", "wait_for", "expect_text"]
# The keys each action needs, and the ones it may have besides "do".
ACTION_KEYS = {
    "goto": ({"url"}, set()),
    "fill": ({"selector", "value"}, set()),
    "select": ({"selector", "value"}, set()),
    "click": ({"selector"}, set()),
    "wait_for": ({"selector"}, set()),
    "expect_text": ({"selector", "text"}, {"login"}),
    "extract": ({"selector", "field"}, set()),
    "screenshot": ({"name"}, set()),
}
UI_DEFAULT_TIMEOUT_SECONDS = 15
UI_MAX_TIMEOUT_SECONDS = 120
MAX_ACTIONS = 40
MAX_SELECTOR = 300
MAX_TEXT = 500
# Not CSS: another selector engine ("xpath=//a", "text=Save", "js=...") or a bare XPath.
OTHER_ENGINE = re.compile(r"^\s*(?:[A-Za-z_-]+\s*=|//|\.\./|\()")

MSG_SCRIPT = "{where}: script must be a list of 1 to {max} actions."
MSG_ACTION_OBJECT = "{where}: must be an object with 'do'."
MSG_ACTION_UNKNOWN = "{where}: 'do' must be one of {actions}."
MSG_GUARD_ACTION = "{where}: a guard only looks things up; use {actions}."
MSG_ACTION_MISSING = "{where}: {do} needs {keys}."
MSG_ACTION_EXTRA = "{where}: {do} has no '{key}'."
MSG_TEXT = "{where}: {key} must be text of at most {max} characters."
MSG_SELECTOR = "{where}: selector must be a CSS selector of at most {max} characters."
MSG_SELECTOR_ENGINE = "{where}: selector '{selector}' is not CSS (no xpath=, text= or other engines)."
MSG_SELECTOR_UNBALANCED = "{where}: selector '{selector}' has unbalanced brackets or quotes."
MSG_FIRST_GOTO = "{where}: the first action must be a goto (each run starts on an empty page)."
MSG_URL = "{where}: the URL must start with http://, https:// or {{{{endpoint.NAME}}}}."
MSG_URL_HOST = "{where}: {problem} Configure it as {{{{endpoint.NAME}}}}."
MSG_SECRET_WHERE = "{where}: a secret may only be the value of a fill."
MSG_SECRET_ENDPOINT = (
    "{where}: a step that fills in a secret must go only to configured endpoints ({{{{endpoint.NAME}}}}) "
    "in every goto, so a definition cannot send credentials anywhere else."
)
MSG_ENDPOINT_WHERE = "{where}: {{{{endpoint.NAME}}}} belongs at the start of a goto's URL."
MSG_FIELD_UNKNOWN = "{where}: unknown field '{name}' in {{{{field.{name}}}}}."
MSG_PLACEHOLDER_BAD = "{where}: '{text}' holds a placeholder that is not {{{{kind.name}}}}."
MSG_PLACEHOLDER_NAME = "{where}: {{{{{kind}.{name}}}}} is unknown; use {names}."
MSG_PLACEHOLDER_KIND = "{where}: placeholder kind '{kind}' is not field, secret, endpoint, case or step."
MSG_EXTRACT_FIELD = "{where}: extract writes unknown field '{name}'."
MSG_SCREENSHOT_NAME = "{where}: a screenshot's name is plain text (no placeholders), at most 100 characters."
MSG_LOGIN_FLAG = "{where}: login is true or false."
MSG_GUARD = "{where}: guard must be an object with script, found and (optionally) extract."
MSG_GUARD_FOUND = "{where}: guard needs found, the CSS selector that is present when the work was already done."
MSG_GUARD_EXTRACT = "{where}: guard extract must map field names to CSS selectors."
MSG_TIMEOUT = "{where}: timeout_seconds must be above 0 and at most {max} (a wait per action)."
MSG_RETRY_ON = "{where}: retry_on is for HTTP steps; a UI step retries on timeouts and pages that do not load."
MSG_NO_REQUEST = "{where}: a UI step has a script, not a request."


def _balanced(selector: str) -> bool:
    stack, quote = [], ""
    pairs = {")": "(", "]": "["}
    for char in selector:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([":
            stack.append(char)
        elif char in ")]":
            if not stack or stack.pop() != pairs[char]:
                return False
    return not stack and not quote


def _check_placeholders(text: str, where: str, fields_by_name: dict, problems: list, *, secret_ok=False) -> None:
    for kind, name in PLACEHOLDER.findall(text):
        if kind == "field" and name not in fields_by_name:
            problems.append(MSG_FIELD_UNKNOWN.format(where=where, name=name))
        elif kind == "secret" and not secret_ok:
            problems.append(MSG_SECRET_WHERE.format(where=where))
        elif kind in PLACEHOLDER_NAMES and name not in PLACEHOLDER_NAMES[kind]:
            names = ", ".join(PLACEHOLDER_NAMES[kind])
            problems.append(MSG_PLACEHOLDER_NAME.format(where=where, kind=kind, name=name, names=names))
        elif kind not in {"field", "secret", "endpoint", *PLACEHOLDER_NAMES}:
            problems.append(MSG_PLACEHOLDER_KIND.format(where=where, kind=kind))
    if "{{" in PLACEHOLDER.sub("", text):
        problems.append(MSG_PLACEHOLDER_BAD.format(where=where, text=text))


def _check_selector(selector, where: str, fields_by_name: dict, problems: list) -> None:
    if not isinstance(selector, str) or not selector.strip() or len(selector) > MAX_SELECTOR:
        problems.append(MSG_SELECTOR.format(where=where, max=MAX_SELECTOR))
        return
    if OTHER_ENGINE.match(selector):
        problems.append(MSG_SELECTOR_ENGINE.format(where=where, selector=selector))
    elif not _balanced(PLACEHOLDER.sub("x", selector)):
        problems.append(MSG_SELECTOR_UNBALANCED.format(where=where, selector=selector))
    if "{{endpoint." in selector:
        problems.append(MSG_ENDPOINT_WHERE.format(where=where))
    _check_placeholders(selector, where, fields_by_name, problems)


def _check_url(url, where: str, fields_by_name: dict, problems: list) -> bool:
    """Checks a goto's URL; True when it goes to a configured endpoint."""
    if not isinstance(url, str) or not url.strip() or len(url) > MAX_TEXT:
        problems.append(MSG_URL.format(where=where))
        return False
    url = url.strip()
    _check_placeholders(url, where, fields_by_name, problems)
    if url.startswith("{{endpoint."):
        if "{{endpoint." in url[2:]:
            problems.append(MSG_ENDPOINT_WHERE.format(where=where))
        return True
    if "{{endpoint." in url:
        problems.append(MSG_ENDPOINT_WHERE.format(where=where))
    if not PLACEHOLDER.sub("x", url).startswith(("http://", "https://")):
        problems.append(MSG_URL.format(where=where))
        return False
    host = urlsplit(PLACEHOLDER.sub("x", url)).hostname or ""
    problem = host_problem(host) if host else None
    if problem:
        problems.append(MSG_URL_HOST.format(where=where, problem=problem))
    return False


def _check_action(action, where: str, allowed: list, fields_by_name: dict, problems: list) -> dict:
    """Checks one action; returns what the step-wide rules need: {"goto": to_endpoint, "secret": bool}."""
    seen = {}
    if not isinstance(action, dict) or "do" not in action:
        problems.append(MSG_ACTION_OBJECT.format(where=where))
        return seen
    do = action.get("do")
    if do not in UI_ACTIONS:
        problems.append(MSG_ACTION_UNKNOWN.format(where=where, actions=", ".join(UI_ACTIONS)))
        return seen
    where = f"{where} ({do})"
    if do not in allowed:
        problems.append(MSG_GUARD_ACTION.format(where=where, actions=", ".join(allowed)))
        return seen
    needed, optional = ACTION_KEYS[do]
    missing = sorted(k for k in needed if k not in action)
    if missing:
        problems.append(MSG_ACTION_MISSING.format(where=where, do=do, keys=" and ".join(missing)))
        return seen
    for key in sorted(set(action) - needed - optional - {"do"}):
        problems.append(MSG_ACTION_EXTRA.format(where=where, do=do, key=key))
    if "selector" in action:
        _check_selector(action["selector"], where, fields_by_name, problems)
    if do == "goto":
        seen["goto"] = _check_url(action["url"], where, fields_by_name, problems)
    elif do in ("fill", "select"):
        value = action["value"]
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            problems.append(MSG_TEXT.format(where=where, key="value", max=MAX_TEXT))
        else:
            _check_placeholders(value, where, fields_by_name, problems, secret_ok=do == "fill")
            seen["secret"] = "{{secret." in value.replace(" ", "")
            if "{{endpoint." in value:
                problems.append(MSG_ENDPOINT_WHERE.format(where=where))
    elif do == "expect_text":
        text = action["text"]
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            problems.append(MSG_TEXT.format(where=where, key="text", max=MAX_TEXT))
        else:
            _check_placeholders(text, where, fields_by_name, problems)
        if not isinstance(action.get("login", False), bool):
            problems.append(MSG_LOGIN_FLAG.format(where=where))
    elif do == "extract":
        if action["field"] not in fields_by_name:
            problems.append(MSG_EXTRACT_FIELD.format(where=where, name=action["field"]))
    elif do == "screenshot":
        name = action["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > 100 or "{{" in name:
            problems.append(MSG_SCREENSHOT_NAME.format(where=where))
    return seen


def _check_script(script, where: str, guard: bool, fields_by_name: dict, problems: list, *, first_goto: bool):
    """Checks a script's actions; returns the step-wide facts of each (see _check_action)."""
    label, allowed = ("guard action", GUARD_ACTIONS) if guard else ("action", UI_ACTIONS)
    if not isinstance(script, list) or not 1 <= len(script) <= MAX_ACTIONS:
        problems.append(MSG_SCRIPT.format(where=f"{where}, guard" if guard else where, max=MAX_ACTIONS))
        return []
    if first_goto and not (isinstance(script[0], dict) and script[0].get("do") == "goto"):
        problems.append(MSG_FIRST_GOTO.format(where=f"{where}, {label} 1"))
    return [
        _check_action(a, f"{where}, {label} {i}", allowed, fields_by_name, problems) for i, a in enumerate(script, 1)
    ]


def check_ui_step(stage: dict, where: str, fields_by_name: dict, problems: list[str]) -> None:
    """The ui stage's own keys: timeout_seconds, guard, script. (spec.check_step checks system,
    retry, on_failure.) Problems name the stage and the action's number, counted from 1."""
    if "request" in stage or "undo" in stage:
        problems.append(MSG_NO_REQUEST.format(where=where))
    timeout = finite_number(stage.get("timeout_seconds", UI_DEFAULT_TIMEOUT_SECONDS))
    if timeout is None or not 0 < timeout <= UI_MAX_TIMEOUT_SECONDS:
        problems.append(MSG_TIMEOUT.format(where=where, max=UI_MAX_TIMEOUT_SECONDS))
    retry = stage.get("retry")
    if isinstance(retry, dict) and "retry_on" in retry:
        problems.append(MSG_RETRY_ON.format(where=where))
    facts = []
    guard = stage.get("guard")
    if guard is not None:
        if not isinstance(guard, dict) or set(guard) - {"script", "found", "extract"}:
            problems.append(MSG_GUARD.format(where=where))
        else:
            facts += _check_script(guard.get("script"), where, True, fields_by_name, problems, first_goto=True)
            if not isinstance(guard.get("found"), str) or not guard["found"].strip():
                problems.append(MSG_GUARD_FOUND.format(where=where))
            else:
                _check_selector(guard["found"], f"{where}, guard found", fields_by_name, problems)
            extract = guard.get("extract", {})
            if not isinstance(extract, dict):
                problems.append(MSG_GUARD_EXTRACT.format(where=where))
            else:
                for name, selector in extract.items():
                    if name not in fields_by_name:
                        problems.append(MSG_EXTRACT_FIELD.format(where=f"{where}, guard extract", name=name))
                    _check_selector(selector, f"{where}, guard extract '{name}'", fields_by_name, problems)
    facts += _check_script(stage.get("script"), where, False, fields_by_name, problems, first_goto=guard is None)
    if any(f.get("secret") for f in facts) and not all(f["goto"] for f in facts if "goto" in f):
        problems.append(MSG_SECRET_ENDPOINT.format(where=where))
