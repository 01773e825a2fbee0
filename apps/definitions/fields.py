"""Typed case fields: checking what a requester (or an integrator) submits against a version's
field specs. Values are stored as JSON: decimals as strings, dates as ISO strings, a person
("user") as their username."""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from apps.core.errors import ValidationFailed
from apps.org.selectors import username_active

from .conditions import Words, evaluate

FIELD_TYPES = ["text", "textarea", "decimal", "integer", "date", "choice", "boolean", "email", "user"]

MSG_REQUIRED = "This field is required."
MSG_UNKNOWN = "Unknown field: this workflow has no such field."
MSG_NOT_A_NUMBER = "Enter a number."
MSG_NOT_AN_INTEGER = "Enter a whole number."
MSG_NOT_A_DATE = "Enter a date as YYYY-MM-DD."
MSG_NOT_A_CHOICE = "Choose one of: {choices}."
MSG_NOT_A_BOOLEAN = "Enter true or false."
MSG_NOT_AN_EMAIL = "Enter a valid email address."
MSG_NOT_TEXT = "Enter text."
MSG_TOO_LONG = "Enter at most {max_length} characters."
MSG_MIN = "Must be at least {min}."
MSG_MAX = "Must be at most {max}."
MSG_GREATER_THAN = "Must be greater than {limit}."
MSG_DECIMAL_PLACES = "Enter at most {places} decimal places."
MSG_TOO_MANY_DIGITS = "Enter at most {digits} digits before the decimal point."
MSG_CONTROL_CHARACTERS = "Remove control characters (such as NUL) from the text."
MSG_NOT_A_USER = "There is no active user '{username}'."
MSG_NOT_THE_REQUESTER = "Name someone other than yourself: the requester cannot be the {label}."
MSG_STEP_FIELD = "Filled in at the {step} step, not by the requester."
MSG_NOT_SHOWN = "This field applies only when {condition}; leave it empty."
MSG_PAST_DATE = "{label} cannot be in the past: enter {today} or later."

DEFAULT_MAX_DIGITS = 15
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

DEFAULT_MAX_LENGTH = 2000


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _number_checks(spec: dict, number) -> str | None:
    if "greater_than" in spec and not number > Decimal(str(spec["greater_than"])):
        return MSG_GREATER_THAN.format(limit=spec["greater_than"])
    if "min" in spec and number < Decimal(str(spec["min"])):
        return MSG_MIN.format(min=spec["min"])
    if "max" in spec and number > Decimal(str(spec["max"])):
        return MSG_MAX.format(max=spec["max"])
    return None


def clean_value(spec: dict, value):
    """Return the stored form of one value, or raise ValueError with the user-facing message."""
    kind = spec["type"]
    if kind in {"text", "textarea"}:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ValueError(MSG_NOT_TEXT)
        text = str(value).strip()
        if CONTROL_CHARACTERS.search(text):
            raise ValueError(MSG_CONTROL_CHARACTERS)
        max_length = spec.get("max_length", DEFAULT_MAX_LENGTH)
        if len(text) > max_length:
            raise ValueError(MSG_TOO_LONG.format(max_length=max_length))
        return text
    if kind == "decimal":
        if isinstance(value, bool):
            raise ValueError(MSG_NOT_A_NUMBER)
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise ValueError(MSG_NOT_A_NUMBER) from None
        if not number.is_finite():
            raise ValueError(MSG_NOT_A_NUMBER)
        if number.adjusted() >= spec.get("max_digits", DEFAULT_MAX_DIGITS):
            raise ValueError(MSG_TOO_MANY_DIGITS.format(digits=spec.get("max_digits", DEFAULT_MAX_DIGITS)))
        places = spec.get("decimal_places", 2)
        if -number.as_tuple().exponent > places and number != number.quantize(Decimal(1).scaleb(-places)):
            raise ValueError(MSG_DECIMAL_PLACES.format(places=places))
        problem = _number_checks(spec, number)
        if problem:
            raise ValueError(problem)
        return str(number.quantize(Decimal(1).scaleb(-places)))
    if kind == "integer":
        if isinstance(value, bool):
            raise ValueError(MSG_NOT_AN_INTEGER)
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(MSG_NOT_AN_INTEGER) from None
        problem = _number_checks(spec, Decimal(number))
        if problem:
            raise ValueError(problem)
        return number
    if kind == "date":
        try:
            return datetime.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValueError(MSG_NOT_A_DATE) from None
    if kind == "choice":
        choices = [str(c) for c in spec.get("choices", [])]
        if str(value) not in choices:
            raise ValueError(MSG_NOT_A_CHOICE.format(choices=", ".join(choices)))
        return str(value)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered in {"true", "1", "yes", "on"}:
            return True
        if lowered in {"false", "0", "no", "off"}:
            return False
        raise ValueError(MSG_NOT_A_BOOLEAN)
    if kind == "email":
        text = str(value).strip()
        if CONTROL_CHARACTERS.search(text):
            raise ValueError(MSG_CONTROL_CHARACTERS)
        try:
            validate_email(text)
        except ValidationError:
            raise ValueError(MSG_NOT_AN_EMAIL) from None
        return text
    if kind == "user":
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise ValueError(MSG_NOT_TEXT)
        username = str(value).strip()
        if CONTROL_CHARACTERS.search(username) or not username_active(username=username):
            raise ValueError(MSG_NOT_A_USER.format(username=username[:150]))
        return username
    raise ValueError(f"Unsupported field type {kind!r}.")  # pragma: no cover - validator refuses it


def shown(field: dict, data: dict, words: Words | None = None):
    """Whether a field applies to `data` (its `show_when` holds; always without one), and the trace."""
    return evaluate(field.get("show_when"), data, words=words or Words())


def _words(fields: list[dict]) -> Words:
    return Words(labels={f["name"]: f.get("label") or f["name"] for f in fields})


def clean_data(
    fields: list[dict],
    data,
    *,
    base: dict | None = None,
    intake: bool = True,
    requester: str = "",
    steps=None,
    today: datetime.date | None = None,
) -> dict:
    """Check submitted values against field specs and return the stored data.

    `base` is the data already on the case (a resubmission changes only what it sends).
    At intake, fields marked required must be present and defaults fill what is absent.
    A field whose `show_when` does not hold is left out: not required, no default, a value kept
    from `base` dropped, and a value sent for it refused (it would be data nobody reads).
    Raises ValidationFailed naming each bad field.

    From a requester (`requester`: their username), a person field marked `not_requester` may not
    name them, and the fields `steps` names ({field: step name}) are not theirs to fill: an
    approver fills them at that step. With `today`, a date field marked `not_past` refuses a date
    sent before it (an expiry already over); dates kept from `base` are not checked again.
    """
    if not isinstance(data, dict):
        raise ValidationFailed(
            "Case data must be an object of field values.", field_errors={"data": ["Expected an object."]}
        )
    by_name = {f["name"]: f for f in fields}
    errors: dict[str, list[str]] = {}
    cleaned = dict(base or {})
    for name in data:
        if name not in by_name:
            errors[name] = [MSG_UNKNOWN]
        elif steps and name in steps and not _empty(data[name]):
            errors[name] = [MSG_STEP_FIELD.format(step=steps[name])]
    words = None
    for name, spec in by_name.items():
        if name in errors:
            continue
        if spec.get("show_when"):
            # Fields are decided top-down: the condition reads only fields listed before this one.
            words = words or _words(fields)
            trace = shown(spec, cleaned, words)
            if not trace.result:
                cleaned.pop(name, None)
                if name in data and not _empty(data[name]) and data[name] is not False:
                    errors[name] = [MSG_NOT_SHOWN.format(condition=_rule_text(spec["show_when"], words))]
                continue
        if name in data and not _empty(data[name]):
            try:
                cleaned[name] = clean_value(spec, data[name])
            except ValueError as problem:
                errors[name] = [str(problem)]
            else:
                if requester and spec.get("not_requester") and cleaned[name] == requester:
                    errors[name] = [MSG_NOT_THE_REQUESTER.format(label=(spec.get("label") or name).lower())]
                elif today and spec.get("not_past") is True and cleaned[name] < today.isoformat():
                    label = spec.get("label") or name.replace("_", " ").capitalize()
                    errors[name] = [MSG_PAST_DATE.format(label=label, today=today.isoformat())]
        elif name in data:
            cleaned.pop(name, None)
        if intake and _empty(cleaned.get(name)) and spec.get("default") not in (None, ""):
            cleaned[name] = clean_value(spec, spec["default"])
        if spec.get("required") and _empty(cleaned.get(name)) and name not in errors:
            errors[name] = [MSG_REQUIRED]
    if errors:
        raise ValidationFailed("Some fields are not valid.", field_errors=errors)
    return cleaned


def _rule_text(condition: dict, words: Words) -> str:
    """The condition as a rule ("Request type = leave"), without what the case has."""
    return evaluate(condition, {}, words=words).text.replace(" (it is empty)", "")


def missing_fields(fields: list[dict], data: dict, *, stage: str) -> list[dict]:
    """Fields required before `stage` that the case does not have yet."""
    return [f for f in fields if f.get("required_before") == stage and _empty(data.get(f["name"]))]
