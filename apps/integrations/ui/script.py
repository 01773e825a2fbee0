"""A UI step's script with the case's values filled in, what a run returns, and what that means
for the step (ui_judge)."""

import urllib.parse
from dataclasses import dataclass, field
from datetime import timedelta

from apps.definitions.accessors import Field, Stage

from ..calls import RequestProblem, Verdict, redact, template_context, template_render
from ..models import ExceptionCategory

REDACTED = "***"
MSG_EXTRACT_INVALID = "{system}'s page shows {value!r} for field '{name}', which does not fit: {problem}"
MSG_EXTRACT_UNKNOWN = "The script writes field '{name}', which this case's workflow version does not have."

__all__ = ["RequestProblem", "Screenshot", "UiResult", "UiScript", "ui_build", "ui_judge"]


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
    # What an attempt records of any step's answer (as CallResult): a page has neither.
    status_code: int | None = None
    retry_after: timedelta | None = None

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


class Failure(Exception):
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
