"""The builder's form for a UI step: its script (and its guard's) as numbered rows of flat form
values, `script-<n>-<input>` and `guard-<n>-<input>`, and the step row they make, checked with
the spec validator's own words, each problem shown at the row it is about.

The rows are edited before anything is saved: adding, removing and moving a row (`ui_op`) only
rewrites the form's values, which the builder renders again.
"""

import re

from .formvalues import MSG_UNKNOWN_FIELD, attempts_clean, lines, on_failure_clean
from .formvalues import number as _number
from .formvalues import text as _text
from .spec import ON_FAILURE, check_step
from .ui_spec import ACTION_KEYS, UI_MAX_TIMEOUT_SECONDS

SCRIPTS = ("script", "guard")
# The inputs a row can have, in the order a row shows them.
INPUTS = ("url", "selector", "value", "text", "field", "name", "login")
MAX_ROWS = 60  # the validator allows 40 actions; rows past this are not even read
ROW_KEY = re.compile(r"^(script|guard)-(\d{1,3})-(do|url|selector|value|text|field|name|login)$")
OP = re.compile(r"^(add|remove|up|down|refresh):(script|guard)(?::(\d{1,3}))?$")

MSG_TIMEOUT = "Enter seconds above 0 and at most {max} (the wait for each action)."
MSG_EXTRACT_LINE = "Write one per line as field = CSS selector (line {line} is not)."
MSG_NO_SCRIPT = "Add at least one action: the first goes to the page (goto)."

# "@, guard action 2 (goto): ..." and friends, as spec.check_step words them (where = "@").
_ROW_PROBLEM = re.compile(r"^@, (guard )?action (\d+)(?: \(\w+\))?: (.*)$", re.S)
_AT = re.compile(r"^@(?:, guard(?: found| extract[^:]*)?)?: ")


def inputs_of(do: str) -> list[str]:
    """The inputs an action's row shows: the keys the validator wants for it, in INPUTS order."""
    needed, optional = ACTION_KEYS.get(do, (set(), set()))
    return [name for name in INPUTS if name in needed | optional]


def ui_form_values(stage: dict) -> dict:
    """A UI step as the flat values of its form."""
    retry = stage.get("retry") if isinstance(stage.get("retry"), dict) else {}
    guard = stage.get("guard") if isinstance(stage.get("guard"), dict) else {}
    extract = guard.get("extract") if isinstance(guard.get("extract"), dict) else {}
    values = {
        "key": stage.get("key", ""),
        "name": stage.get("name", ""),
        "type": "ui",
        "system": stage.get("system", ""),
        "timeout_seconds": stage.get("timeout_seconds", ""),
        "attempts": retry.get("attempts", ""),
        "on_failure": stage.get("on_failure", "exception_queue"),
        "guard_found": guard.get("found", ""),
        "guard_extract": "\n".join(f"{k} = {v}" for k, v in extract.items()),
    }
    for prefix, actions in (("script", stage.get("script")), ("guard", guard.get("script"))):
        values |= _flat(prefix, [a for a in actions if isinstance(a, dict)] if isinstance(actions, list) else [])
    return values


def _flat(prefix: str, rows: list[dict]) -> dict:
    flat = {}
    for n, row in enumerate(rows):
        flat[f"{prefix}-{n}-do"] = str(row.get("do", ""))
        for name in INPUTS:
            if name in row:
                value = row[name]
                flat[f"{prefix}-{n}-{name}"] = ("on" if value else "") if name == "login" else str(value)
    return flat


def script_rows(values: dict, prefix: str) -> list[dict]:
    """The rows of one script as typed, in their order: {"do": ..., <input>: text}."""
    found: dict[int, dict] = {}
    for name, value in values.items():
        match = ROW_KEY.match(name)
        if match and match.group(1) == prefix and int(match.group(2)) < MAX_ROWS:
            found.setdefault(int(match.group(2)), {})[match.group(3)] = value if isinstance(value, str) else ""
    return [found[n] for n in sorted(found)]


def _without(values: dict) -> dict:
    return {k: v for k, v in values.items() if not ROW_KEY.match(k) and k != "ui_op"}


def ui_form_op(values: dict, op: str) -> dict:
    """The form's values after one row operation: `add:script`, `remove:guard:2`, `up:script:3`,
    `down:script:0`, `refresh:script` (the action of a row changed: show its inputs). Rows count from 0."""
    match = OP.match(op or "")
    result = _without(values)
    rows = {prefix: script_rows(values, prefix) for prefix in SCRIPTS}
    if match:
        verb, prefix, raw = match.groups()
        chosen, at = rows[prefix], int(raw) if raw is not None else None
        if verb == "add" and len(chosen) < MAX_ROWS:
            chosen.append({"do": "goto" if not chosen else "click"})
        elif verb == "remove" and at is not None and at < len(chosen):
            chosen.pop(at)
        elif verb in ("up", "down") and at is not None and at < len(chosen):
            other = at - 1 if verb == "up" else at + 1
            if 0 <= other < len(chosen):
                chosen[at], chosen[other] = chosen[other], chosen[at]
    for prefix in SCRIPTS:
        result |= _flat(prefix, rows[prefix])
    return result


def _action(row: dict) -> dict | None:
    """A row as a script action; None for a row left empty (nothing typed in it)."""
    do = _text(row, "do")
    typed = {name: _text(row, name) for name in INPUTS if name != "login"}
    if not any(typed.values()):
        return None
    action = {"do": do}
    for name in inputs_of(do):
        if name == "login":
            if _text(row, "login").lower() in {"on", "true", "1", "yes"}:
                action["login"] = True
        else:
            action[name] = typed[name]
    return action


def _actions(values: dict, prefix: str) -> list[dict]:
    return [a for a in (_action(row) for row in script_rows(values, prefix)) if a is not None]


def _extract(raw: str, fields_by_name: dict, errors: dict) -> dict:
    found = lines(raw, "=", MSG_EXTRACT_LINE, errors, "guard_extract")
    unknown = [name for name in found if name not in fields_by_name]
    if unknown:
        errors.setdefault("guard_extract", MSG_UNKNOWN_FIELD.format(field=unknown[0]))
    return found


def _where(problem: str) -> tuple[str | None, str]:
    """The form input a validator problem belongs to, and its words without the location."""
    match = _ROW_PROBLEM.match(problem)
    if match:
        guard, number, words = match.groups()
        return f"{'guard' if guard else 'script'}-{int(number) - 1}", words
    words = _AT.sub("", problem)
    if problem.startswith("@, guard found") or "guard needs found" in problem:
        return "guard_found", words
    if problem.startswith("@, guard extract") or "guard extract" in problem:
        return "guard_extract", words
    if problem.startswith("@, guard:") or problem.startswith("@: guard"):
        return "guard", words
    if "timeout_seconds" in problem:
        return "timeout_seconds", MSG_TIMEOUT.format(max=UI_MAX_TIMEOUT_SECONDS)
    if "script must be" in problem:
        return "script", words
    return None, words


def clean_ui(spec: dict, values: dict, previous: dict, row: dict, errors: dict) -> None:
    """Fill `row` (a UI step with key, name, type and system) from the form; problems go to
    `errors` under the input or the script row they are about ("script-2", "guard_found")."""
    fields_by_name = {f["name"]: f for f in spec.get("fields", []) if "name" in f}
    timeout = _number(values, "timeout_seconds", errors)
    if timeout is not None:
        row["timeout_seconds"] = timeout
    retry = {k: v for k, v in (previous.get("retry") or {}).items() if k != "retry_on"}
    attempts_clean(values, retry, row, errors)
    on_failure_clean(values, row, errors, ON_FAILURE)
    guard_script, found = _actions(values, "guard"), _text(values, "guard_found")
    extract = _extract(_text(values, "guard_extract"), fields_by_name, errors)
    if guard_script or found or extract:
        row["guard"] = {"script": guard_script, "found": found} | ({"extract": extract} if extract else {})
    row["script"] = _actions(values, "script")
    if not row["script"]:
        errors.setdefault("script", MSG_NO_SCRIPT)
    problems: list[str] = []
    check_step(row, "@", fields_by_name, problems)
    for problem in problems:
        name, words = _where(problem)
        errors.setdefault(name, words)
