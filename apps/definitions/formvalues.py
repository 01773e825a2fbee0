"""Reading the builder's form values: text, numbers, whole numbers, checkboxes, and the one
error shape (ValidationFailed with a message per form field) that the builder shows at the field."""

from decimal import Decimal, InvalidOperation

from apps.core.errors import ValidationFailed

from .spec import NAME_RE

MSG_REQUIRED = "This is required."
MSG_NAME = "Use lower-case letters, digits and underscores, starting with a letter."
MSG_NAME_TAKEN = "Another row already uses '{name}'."
MSG_CHOICE = "Choose one of: {choices}."
MSG_NUMBER = "Enter a number."
MSG_WHOLE = "Enter a whole number of at least 1."
MSG_UNKNOWN_FIELD = "There is no field '{field}'."
MSG_ATTEMPTS = "Enter a whole number from 1 to 20."


def fail(errors: dict[str, str]):
    raise ValidationFailed("Please correct the marked values.", field_errors={k: [v] for k, v in errors.items()})


def text(values: dict, name: str) -> str:
    value = values.get(name, "")
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value))


def number(values, name, errors):
    raw = text(values, name)
    if raw == "":
        return None
    try:
        number = Decimal(raw)
        if not number.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        errors[name] = MSG_NUMBER
        return None
    return int(number) if number == number.to_integral_value() else str(number)


def whole(values, name, errors, *, required=False):
    raw = text(values, name)
    if raw == "":
        if required:
            errors[name] = MSG_WHOLE
        return None
    if not raw.isdigit() or int(raw) < 1:
        errors[name] = MSG_WHOLE
        return None
    return int(raw)


def checkbox(values, name) -> bool:
    return text(values, name).lower() in {"on", "true", "1", "yes"}


def stage_key(spec: dict, values: dict, index, errors: dict) -> str:
    """The key of a stage or step row: a name, not used by another row of the stage list."""
    key = text(values, "key")
    if not NAME_RE.match(key):
        errors["key"] = MSG_NAME
    elif any(s.get("key") == key for i, s in enumerate(spec.get("stages", [])) if i != index):
        errors["key"] = MSG_NAME_TAKEN.format(name=key)
    return key


def attempts_clean(values: dict, retry: dict, row: dict, errors: dict) -> None:
    """An automated step's attempts, as its form gives them, into `retry` (the step's retry,
    kept otherwise) and `row` (HTTP and UI steps alike)."""
    raw_attempts = text(values, "attempts")
    if raw_attempts and (not raw_attempts.isdigit() or not 1 <= int(raw_attempts) <= 20):
        errors["attempts"] = MSG_ATTEMPTS
    elif raw_attempts:
        retry["attempts"] = int(raw_attempts)
    else:
        retry.pop("attempts", None)
    if retry:
        row["retry"] = retry


def on_failure_clean(values: dict, row: dict, errors: dict, choices) -> None:
    """What happens when an automated step keeps failing, as its form gives it."""
    on_failure = text(values, "on_failure") or "exception_queue"
    if on_failure not in choices:
        errors["on_failure"] = MSG_CHOICE.format(choices=", ".join(choices))
    row["on_failure"] = on_failure


def lines(raw: str, separator: str, message: str, errors: dict, name: str) -> dict:
    """{left: right} of a textarea written one "left <separator> right" per line (blank lines
    skipped); the first line that is not gets `message` (with its number) under `name`."""
    found = {}
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        left, sep, right = line.partition(separator)
        if not sep or not left.strip() or not right.strip():
            errors.setdefault(name, message.format(line=number))
            continue
        found[left.strip()] = right.strip()
    return found
