"""A version's texts: what the workflow is for (`description`) and what the requester reads above
the start form (`form_intro`). Field help stays on each field.

They live in the spec, beside the rules they describe, so they are versioned, hashed and frozen
with them: a threshold moved from 1,000 to 5,000 and a text that still says 1,000 would be one
publish apart otherwise. A version published before the texts moved here has none of its own; it
reads the definition's description (`Texts.of`), the only text it ever had.

Texts are plain text (escaped where shown; line breaks kept), not a template language. What the
builder offers instead is a warning: a number the live version's rules use, which this draft's
rules no longer use, but which its texts still mention (`stale_numbers`).
"""

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from apps.core.errors import ValidationFailed

TEXT_KEYS = ("description", "form_intro")
TEXT_LABELS = {"description": "Description", "form_intro": "Text above the start form"}
TEXT_LIMITS = {"description": 2000, "form_intro": 2000}

MSG_CORRECT = "Please correct the marked texts."
MSG_TEXT_TYPE = "Must be text."
MSG_TEXT_LONG = "At most {limit:,} characters, please (this has {length:,})."
MSG_TEXT_NUL = "Must not contain NUL characters."
MSG_STALE_NUMBER = (
    "The texts mention {number}, which the live version's rules use and this draft's rules no longer do"
    " ({now}). Check the description and the text above the start form."
)

# 1,000 · 1000 · 1,000.50 · 12.5; not the digits of "v2", "CC-1" or "2026-12-02"
NUMBER = re.compile(r"(?<![\w.,-])(?:\d{1,3}(?:[,\u202f\u00a0]\d{3})+|\d+)(?:\.\d+)?(?![\w-])")


def text_problem(key: str, value) -> str | None:
    """What is wrong with one text as the spec holds it (None: fine). Absent texts are fine."""
    if value is None:
        return None
    if not isinstance(value, str):
        return MSG_TEXT_TYPE
    if "\x00" in value:
        return MSG_TEXT_NUL
    if len(value) > TEXT_LIMITS[key]:
        return MSG_TEXT_LONG.format(limit=TEXT_LIMITS[key], length=len(value))
    return None


def check_texts(spec: Mapping, problems: list[str]) -> None:
    """The validator's part (spec.validate_spec): each text is text, and not too long."""
    for key in TEXT_KEYS:
        problem = text_problem(key, spec.get(key))
        if problem:
            problems.append(f"{TEXT_LABELS[key]}: {problem[:1].lower()}{problem[1:]}")


def texts_set(spec: dict, *, values: Mapping) -> dict:
    """The builder's Texts form: a changed copy of the spec, or ValidationFailed per form field."""
    cleaned, errors = {}, {}
    for key in TEXT_KEYS:
        raw = values.get(key, "")
        value = raw.replace("\r\n", "\n").strip() if isinstance(raw, str) else raw
        problem = text_problem(key, value)
        if problem:
            errors[key] = problem
        cleaned[key] = value
    if errors:
        raise ValidationFailed(MSG_CORRECT, field_errors={k: [v] for k, v in errors.items()})
    spec = copy.deepcopy(spec)
    for key, value in cleaned.items():
        spec[key] = value
    return spec


@dataclass(frozen=True)
class Texts:
    description: str
    form_intro: str
    own: bool  # False: a version from before texts were versioned, reading the definition's

    @classmethod
    def of(cls, spec: Mapping | None, *, fallback: str = "") -> "Texts":
        spec = spec if isinstance(spec, Mapping) else {}
        description = spec.get("description")
        intro = spec.get("form_intro")
        return cls(
            description=description if isinstance(description, str) else (fallback or ""),
            form_intro=intro if isinstance(intro, str) else "",
            own=isinstance(description, str),
        )

    def as_dict(self) -> dict:
        return {"description": self.description, "form_intro": self.form_intro}


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(re.sub(r"[,\u202f\u00a0]", "", text))
    except InvalidOperation:
        return None


def _shown(number: Decimal) -> str:
    return f"{number.normalize():,f}" if number == number.to_integral_value() else f"{number:,}"


def numbers_in(text: str) -> set[Decimal]:
    return {n for n in (_number(m) for m in NUMBER.findall(text or "")) if n is not None}


def _rule_numbers(condition, found: set) -> set[Decimal]:
    if isinstance(condition, Mapping):
        if "field" in condition:
            values = condition.get("value")
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, (int, float, str)) and not isinstance(value, bool):
                    try:
                        found.add(Decimal(str(value)))
                    except InvalidOperation:
                        pass
        for key in ("not",):
            _rule_numbers(condition.get(key), found)
        for key in ("all", "any"):
            for sub in condition.get(key) or []:
                _rule_numbers(sub, found)
    return found


def rule_numbers(spec: Mapping) -> set[Decimal]:
    """The numbers the spec's routing rules compare with (stage and approver conditions)."""
    found: set[Decimal] = set()
    for stage in spec.get("stages") or []:
        if isinstance(stage, Mapping):
            _rule_numbers(stage.get("when"), found)
            for approver in stage.get("approvers") or []:
                if isinstance(approver, Mapping):
                    _rule_numbers(approver.get("when"), found)
    return found


def stale_numbers(draft_spec: Mapping, live_spec: Mapping | None, *, texts: Texts) -> list[str]:
    """Warnings for numbers in the draft's texts that only the live version's rules still use."""
    if not isinstance(live_spec, Mapping):
        return []
    now, before = rule_numbers(draft_spec), rule_numbers(live_spec)
    gone, added = before - now, now - before
    mentioned = numbers_in(texts.description) | numbers_in(texts.form_intro)
    now_text = f"they now use {', '.join(_shown(n) for n in sorted(added))}" if added else "nor another instead"
    return [MSG_STALE_NUMBER.format(number=_shown(n), now=now_text) for n in sorted(mentioned & gone)]
