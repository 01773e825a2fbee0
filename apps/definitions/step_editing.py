"""The builder's form for an automated step (an HTTP call, a wait for a callback, or a UI step,
whose script rows are ui_step_editing.py's): its flat values (`url`, `headers` as "Name: value"
lines, `response_map` as "field = path" lines, ...) and the step row they make, checked with the
spec validator's own words."""

import json
from decimal import Decimal

from apps.core.jsonsafe import json_loads_limited

from .formvalues import (
    MSG_CHOICE,
    MSG_REQUIRED,
    MSG_UNKNOWN_FIELD,
    attempts_clean,
    on_failure_clean,
    stage_key,
)
from .formvalues import fail as _fail
from .formvalues import lines as _lines
from .formvalues import number as _number
from .formvalues import text as _text
from .spec import (
    MAX_TIMEOUT_SECONDS,
    METHODS,
    ON_FAILURE,
    STEP_DEFAULT_WAIT_HOURS,
    STEP_TYPES,
    check_request,
    check_step,
)
from .ui_step_editing import clean_ui, ui_form_values

MSG_IS_STEP = "This row is an automated step; edit it as a step."
MSG_NOT_STEP = "This row is an approval stage, not an automated step."
MSG_STEP_NO_APPROVERS = "An automated step has no approvers."
MSG_SYSTEM = "Name the system it talks to (at most 100 characters)."
MSG_HEADER_LINE = "Write one header per line as Name: value (line {line} is not)."
MSG_MAP_LINE = "Write one mapping per line as field = path.in.answer (line {line} is not)."
MSG_JSON = "This is not valid JSON: {problem}"
MSG_TIMEOUT = "Enter seconds above 0 and at most {max}."
MSG_HOURS = "Enter a number of hours above 0."


def step_form_values(stage: dict) -> dict:
    """A step as the flat values of its form."""
    if stage.get("type") == "ui":
        return ui_form_values(stage)
    request = stage.get("request") if isinstance(stage.get("request"), dict) else {}
    undo = stage.get("undo") if isinstance(stage.get("undo"), dict) else {}
    retry = stage.get("retry") if isinstance(stage.get("retry"), dict) else {}
    headers = request.get("headers") if isinstance(request.get("headers"), dict) else {}
    mapping = (stage.get("response") or {}).get("map") if isinstance(stage.get("response"), dict) else {}
    body = request.get("body")
    return {
        "key": stage.get("key", ""),
        "name": stage.get("name", ""),
        "type": stage.get("type", "http"),
        "system": stage.get("system", ""),
        "method": str(request.get("method") or "POST").upper(),
        "url": request.get("url", ""),
        "headers": "\n".join(f"{k}: {v}" for k, v in headers.items()),
        "body": json.dumps(body, indent=2, ensure_ascii=False) if body is not None else "",
        "response_map": "\n".join(f"{k} = {v}" for k, v in (mapping or {}).items()),
        "timeout_seconds": stage.get("timeout_seconds", ""),
        "attempts": retry.get("attempts", ""),
        "undo_method": str(undo.get("method") or "").upper() if undo else "",
        "undo_url": undo.get("url", ""),
        "on_failure": stage.get("on_failure", "exception_queue"),
        "timeout_hours": stage.get("timeout_hours", ""),
    }


def _request_problem(part: dict, fields_by_name: dict) -> str | None:
    """The spec validator's first word on one part of a request (the rest filled in as valid)."""
    problems: list[str] = []
    check_request({"method": "POST", "url": "{{endpoint.ANY}}", **part}, "@", fields_by_name, problems)
    return problems[0].removeprefix("@: ") if problems else None


def clean_step(spec, values, index):
    """An automated step from its form; every value is checked where the owner typed it."""
    errors = {}
    key = stage_key(spec, values, index, errors)
    previous = spec["stages"][index] if index is not None else {}
    if index is not None and previous.get("type") not in STEP_TYPES:
        _fail({None: MSG_NOT_STEP})
    kind = previous.get("type") or _text(values, "type") or "http"
    if kind not in STEP_TYPES:
        errors["type"] = MSG_CHOICE.format(choices=", ".join(STEP_TYPES))
    system = _text(values, "system")
    if not system or len(system) > 100:
        errors["system"] = MSG_SYSTEM
    row = {"key": key, "name": _text(values, "name") or key.replace("_", " ").capitalize(), "type": kind}
    row["system"] = system
    if "when" in previous:
        row["when"] = previous["when"]
    if kind == "wait":
        hours = _number(values, "timeout_hours", errors)
        if hours is not None and Decimal(str(hours)) <= 0:
            errors["timeout_hours"] = MSG_HOURS
        row["timeout_hours"] = hours if hours is not None else STEP_DEFAULT_WAIT_HOURS
    elif kind == "ui":
        clean_ui(spec, values, previous, row, errors)
    else:
        _clean_call(spec, values, previous, row, errors)
    if errors:
        _fail(errors)
    problems: list[str] = []
    check_step(row, "@", {f["name"]: f for f in spec.get("fields", []) if "name" in f}, problems)
    if problems:  # anything the form's own checks let through
        _fail({None: problems[0].removeprefix("@: ")})
    return row


def _clean_call(spec, values, previous, row, errors) -> None:
    fields_by_name = {f["name"]: f for f in spec.get("fields", []) if "name" in f}
    method = _text(values, "method").upper() or "POST"
    if method not in METHODS:
        errors["method"] = MSG_CHOICE.format(choices=", ".join(METHODS))
    url = _text(values, "url")
    if not url:
        errors["url"] = MSG_REQUIRED
    elif problem := _request_problem({"url": url}, fields_by_name):
        errors["url"] = problem
    headers = _lines(_text(values, "headers"), ":", MSG_HEADER_LINE, errors, "headers")
    if "headers" not in errors and (problem := _request_problem({"headers": headers}, fields_by_name)):
        errors["headers"] = problem
    request = {"method": method, "url": url}
    if headers:
        request["headers"] = headers
    raw_body = _text(values, "body")
    if raw_body:
        try:
            request["body"] = json_loads_limited(raw_body)
        except ValueError as problem:
            errors["body"] = MSG_JSON.format(problem=problem)
        else:
            if problem := _request_problem({"body": request["body"]}, fields_by_name):
                errors["body"] = problem
    row["request"] = request
    timeout = _number(values, "timeout_seconds", errors)
    if timeout is not None:
        if not 0 < Decimal(str(timeout)) <= MAX_TIMEOUT_SECONDS:
            errors["timeout_seconds"] = MSG_TIMEOUT.format(max=MAX_TIMEOUT_SECONDS)
        row["timeout_seconds"] = timeout
    attempts_clean(values, dict(previous.get("retry") or {}), row, errors)
    mapping = _lines(_text(values, "response_map"), "=", MSG_MAP_LINE, errors, "response_map")
    unknown = [name for name in mapping if name not in fields_by_name]
    if unknown:
        errors["response_map"] = MSG_UNKNOWN_FIELD.format(field=unknown[0])
    if mapping:
        row["response"] = {**(previous.get("response") or {}), "map": mapping}
    undo_url = _text(values, "undo_url")
    if undo_url:
        undo_method = _text(values, "undo_method").upper() or "DELETE"
        if undo_method not in METHODS:
            errors["undo_method"] = MSG_CHOICE.format(choices=", ".join(METHODS))
        elif problem := _request_problem({"url": undo_url}, fields_by_name):
            errors["undo_url"] = problem
        row["undo"] = {**(previous.get("undo") or {}), "method": undo_method, "url": undo_url}
    on_failure_clean(values, row, errors, ON_FAILURE)
