"""Routing conditions: a small, safe language over case field values (never `eval`).

A condition is either a clause ``{"field": "amount", "op": ">=", "value": 1000}`` or a group
``{"all": [...]}`` / ``{"any": [...]}`` of conditions, or ``{"not": condition}`` (the builder's
"skip the stage when ..."). A clause may also read an attribute of the person who asked,
``{"requester": "department", "op": "=", "value": "Finance"}`` (REQUESTER_ATTRIBUTES; the engine
supplies them, apps.org.selectors.user_attributes). Evaluation returns the outcome and a
plain-words trace of every clause, so a case can always say why it went where it went.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from apps.core.numbers import number

OPERATORS = ["=", "!=", "<", "<=", ">", ">=", "in", "not in", "contains", "is empty", "is not empty"]
UNARY_OPERATORS = {"is empty", "is not empty"}
ORDERING_OPERATORS = {"<", "<=", ">", ">="}
# What a condition may ask about the requester, and the type each attribute compares as.
REQUESTER_ATTRIBUTES = {
    "department": "text",  # the name of their department
    "location": "text",  # where they work (their profile's location)
    "cost_center": "text",  # the cost center they own ("" when none)
    "cost_center_owner": "boolean",  # whether they own a cost center
}
REQUESTER_PREFIX = "requester."  # how a requester attribute is named among a trace's inputs


def is_requester_clause(condition) -> bool:
    return isinstance(condition, Mapping) and "requester" in condition


@dataclass
class Trace:
    result: bool
    text: str
    clauses: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"result": self.result, "text": self.text, "clauses": self.clauses}


@dataclass(frozen=True)
class Words:
    """How a condition reads to people: each field by its label ("Vendor risk", not `vendor_risk`)
    and the values of number fields as `number` writes them ("5,000"). `Spec.words` builds it from
    a version's fields; without it a condition reads as stored (keys, raw values), which is what
    the validator's messages and the BPMN expressions want."""

    labels: Mapping = field(default_factory=dict)
    numeric: frozenset = frozenset()

    def label(self, name: str) -> str:
        if name.startswith(REQUESTER_PREFIX):
            return "Requester's " + name[len(REQUESTER_PREFIX) :].replace("_", " ")
        return self.labels.get(name) or name

    def value(self, name: str, value) -> str:
        if _is_empty(value):
            return "empty"
        one = number if name in self.numeric else str
        if isinstance(value, list):
            return "[" + ", ".join(one(v) for v in value) + "]"
        return one(value)


AS_STORED = Words()


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str | list | dict) and len(value) == 0)


def _comparable(left, right):
    """Numbers compare as numbers (decimals stored as strings), everything else as text."""
    if isinstance(left, bool) or isinstance(right, bool):
        return left, right
    try:
        return Decimal(str(left)), Decimal(str(right))
    except (InvalidOperation, ValueError):
        return str(left), str(right)


def evaluate_clause(clause: dict, data: dict, words: Words = AS_STORED, requester=None) -> tuple[bool, dict]:
    """One clause over the case's `data`, or, for a requester clause, over `requester` (a mapping
    of REQUESTER_ATTRIBUTES; None: unknown, so every attribute is empty)."""
    if is_requester_clause(clause):
        name, op, expected = REQUESTER_PREFIX + clause["requester"], clause["op"], clause.get("value")
        actual = (requester or {}).get(clause["requester"])
    else:
        name, op, expected = clause["field"], clause["op"], clause.get("value")
        actual = data.get(name)
    if op == "is empty":
        result = _is_empty(actual)
    elif op == "is not empty":
        result = not _is_empty(actual)
    elif _is_empty(actual):
        # A missing value satisfies no comparison except "!=" and "not in".
        result = op in {"!=", "not in"}
    elif op in {"=", "!="}:
        a, b = _comparable(actual, expected)
        result = (a == b) == (op == "=")
    elif op in ORDERING_OPERATORS:
        a, b = _comparable(actual, expected)
        try:
            result = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        except TypeError:
            result = False
    elif op in {"in", "not in"}:
        options = [_comparable(actual, option)[1] for option in (expected or [])]
        result = (_comparable(actual, actual)[0] in options) == (op == "in")
    elif op == "contains":
        if isinstance(actual, list):
            result = expected in actual
        else:
            result = str(expected).lower() in str(actual).lower()
    else:  # pragma: no cover - the validator refuses unknown operators
        raise ValueError(f"Unknown operator {op!r}")
    if op in ORDERING_OPERATORS:  # reads as a sum: "Amount 5,000 >= 1,000"
        rendered = f"{words.label(name)} {words.value(name, actual)} {op} {words.value(name, expected)}"
    else:  # the rule, then what the case has when it does not hold: "Vendor risk = high (it is low)"
        rule = f"{words.label(name)} {op}" + ("" if op in UNARY_OPERATORS else f" {words.value(name, expected)}")
        rendered = rule if result else f"{rule} (it is {words.value(name, actual)})"
    return result, {"field": name, "op": op, "value": expected, "actual": actual, "result": result, "text": rendered}


def evaluate(condition: dict | None, data: dict, *, words: Words = AS_STORED, requester=None) -> Trace:
    """Evaluate a condition against case data (and the requester's attributes, `requester`); an
    absent condition is always true. The trace's text reads with `words` (a version's
    `spec.words`: labels and formatted numbers)."""
    if not condition:
        return Trace(True, "always", [])
    if "field" in condition or is_requester_clause(condition):
        result, clause = evaluate_clause(condition, data, words, requester)
        return Trace(result, clause["text"], [clause])
    if "not" in condition:
        inner = evaluate(condition["not"], data, words=words, requester=requester)
        return Trace(not inner.result, f"not ({inner.text})", inner.clauses)
    mode = "all" if "all" in condition else "any"
    parts = [evaluate(sub, data, words=words, requester=requester) for sub in condition[mode]]
    result = all(p.result for p in parts) if mode == "all" else any(p.result for p in parts)
    joiner = " and " if mode == "all" else " or "
    text = joiner.join(p.text if len(p.clauses) <= 1 else f"({p.text})" for p in parts)
    clauses = [c for p in parts for c in p.clauses]
    return Trace(result, text, clauses)


def fields_in(condition: dict | None) -> list[str]:
    """Every field name a condition reads."""
    if not condition or is_requester_clause(condition):
        return []
    if "field" in condition:
        return [condition["field"]]
    if "not" in condition:
        return fields_in(condition["not"])
    mode = "all" if "all" in condition else "any"
    return [name for sub in condition.get(mode, []) for name in fields_in(sub)]


def reads_requester(condition) -> bool:
    """Does the condition ask about the requester (so the engine must read their attributes)?"""
    if not isinstance(condition, Mapping):
        return False
    if is_requester_clause(condition):
        return True
    if "not" in condition:
        return reads_requester(condition["not"])
    return any(reads_requester(sub) for mode in ("all", "any") for sub in condition.get(mode) or [])
