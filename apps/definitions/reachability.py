"""Can a condition ever hold? Publishing refuses stages and approvers that no case can reach.

Conditions are turned into alternatives of clause lists (`any` of `all`s); an alternative can hold
when, field by field, some value (or no value at all) satisfies all of its clauses. Fields that
are required at intake are never empty. Anything this check does not understand counts as
reachable: it only refuses what is certainly dead.
"""

import datetime
from decimal import Decimal, InvalidOperation
from itertools import product

from .conditions import AS_STORED, REQUESTER_PREFIX, Words, is_requester_clause

MAX_ALTERNATIVES = 256
EMPTY_SAFE = {"!=", "not in", "is empty"}

MSG_STAGE_UNREACHABLE = "Stage '{stage}' is unreachable: its condition can never hold ({text})."
MSG_STEP_UNREACHABLE = "Step '{stage}' never runs: its condition can never hold ({text})."
MSG_STAGE_NO_APPROVER = "Stage '{stage}' is unreachable: none of its approvers can ever apply."
MSG_APPROVER_UNREACHABLE = "Stage '{stage}', approver '{approver}' can never apply: its condition never holds ({text})."


class _Unknown(Exception):
    pass


def _alternatives(condition) -> list[list[dict]]:
    if not condition or is_requester_clause(condition):
        return [[]]  # who asks is not known before a case starts: assume any requester can
    if "field" in condition:
        return [[condition]]
    if "not" in condition:
        raise _Unknown  # negations are not analysed: assume reachable
    if "all" in condition:
        result = [[]]
        for sub in condition["all"]:
            result = [a + b for a, b in product(result, _alternatives(sub))]
            if len(result) > MAX_ALTERNATIVES:
                raise _Unknown
        return result
    return [alt for sub in condition.get("any", []) for alt in _alternatives(sub)]


def _value(field: dict, raw):
    kind = field.get("type")
    if kind in {"decimal", "integer"}:
        return Decimal(str(raw).strip())
    if kind == "date":
        return datetime.date.fromisoformat(str(raw).strip())
    if kind == "boolean":
        return str(raw).strip().lower() in {"true", "1", "yes", "on"}
    return str(raw)


def _field_can_hold(field: dict, clauses: list[dict]) -> bool:
    ops = [c["op"] for c in clauses]
    if not field.get("required") and all(op in EMPTY_SAFE for op in ops):
        return True  # no value at all satisfies every clause
    if "is empty" in ops:
        return False
    kind = field.get("type")
    ordered = kind in {"decimal", "integer", "date"}
    points = None
    if kind == "choice":
        points = {str(c) for c in field.get("choices", [])}
    elif kind == "boolean":
        points = {True, False}
    excluded, low, high = set(), None, None  # bounds are (value, strict)
    if kind in {"decimal", "integer"}:  # intake limits bound every value a case can hold
        if field.get("greater_than") is not None:
            low = (Decimal(str(field["greater_than"])), True)
        if field.get("min") is not None and (low is None or Decimal(str(field["min"])) > low[0]):
            low = (Decimal(str(field["min"])), False)
        if field.get("max") is not None:
            high = (Decimal(str(field["max"])), False)
    for clause in clauses:
        op, raw = clause["op"], clause.get("value")
        if op in {"is not empty", "contains"}:
            continue
        values = raw if op in {"in", "not in"} else [raw]
        if not isinstance(values, list):
            raise _Unknown
        converted = {_value(field, v) for v in values}
        if op in {"=", "in"}:
            points = converted if points is None else points & converted
        elif op in {"!=", "not in"}:
            excluded |= converted
        elif ordered:
            (value,) = converted
            if op in {">", ">="}:
                bound = (value, op == ">")
                if low is None or bound[0] > low[0] or (bound[0] == low[0] and bound[1]):
                    low = bound
            else:
                bound = (value, op == "<")
                if high is None or bound[0] < high[0] or (bound[0] == high[0] and bound[1]):
                    high = bound

    def inside(v) -> bool:
        if v in excluded:
            return False
        if low is not None and (v < low[0] or (v == low[0] and low[1])):
            return False
        return not (high is not None and (v > high[0] or (v == high[0] and high[1])))

    if points is not None:
        return any(inside(p) for p in points)
    if low is not None and high is not None:
        if low[0] > high[0]:
            return False
        if low[0] == high[0]:
            return not (low[1] or high[1]) and low[0] not in excluded
    return True


def can_hold(condition, fields_by_name: dict) -> bool:
    """False only when no case data can ever make the condition true."""
    try:
        for alternative in _alternatives(condition):
            by_field: dict[str, list] = {}
            for clause in alternative:
                by_field.setdefault(clause["field"], []).append(clause)
            if any(name not in fields_by_name for name in by_field):
                raise _Unknown  # the validator reports the unknown field itself
            if all(_field_can_hold(fields_by_name[name], clauses) for name, clauses in by_field.items()):
                return True
        return False
    except (_Unknown, AttributeError, KeyError, TypeError, ValueError, InvalidOperation):
        return True


def _both(a, b):
    if not a:
        return b
    if not b:
        return a
    return {"all": [a, b]}


def unreachable_problems(spec: dict) -> list[str]:
    """Stages and approvers of a (structurally valid) spec that no case can ever reach."""
    listed = spec.get("fields") if isinstance(spec.get("fields"), list) else []
    fields = {f["name"]: f for f in listed if isinstance(f, dict) and isinstance(f.get("name"), str)}
    problems = []
    stages = spec.get("stages") if isinstance(spec.get("stages"), list) else []
    for stage in stages:
        if not isinstance(stage, dict) or not isinstance(stage.get("approvers", []), list):
            continue
        key, when = stage.get("key"), stage.get("when")
        if when and not can_hold(when, fields):
            # NOTE: spec.STEP_TYPES; spec imports this module, so not from there.
            message = MSG_STEP_UNREACHABLE if stage.get("type") in {"http", "wait", "ui"} else MSG_STAGE_UNREACHABLE
            problems.append(message.format(stage=key, text=condition_text(when)))
            continue
        alive = 0
        for approver in stage.get("approvers", []):
            if not isinstance(approver, dict):
                continue
            a_when = approver.get("when")
            if a_when and not can_hold(_both(when, a_when), fields):
                problems.append(
                    MSG_APPROVER_UNREACHABLE.format(
                        stage=key, approver=approver.get("key"), text=condition_text(a_when)
                    )
                )
            else:
                alive += 1
        if stage.get("approvers") and not alive:
            problems.append(MSG_STAGE_NO_APPROVER.format(stage=key))
    return problems


def condition_text(condition, words: Words = AS_STORED) -> str:
    """A condition in words: `amount >= 1000 and vendor_risk = high`; with a version's
    `spec.words`, `Amount >= 1,000 and Vendor risk = high`."""
    if not condition:
        return "always"
    if is_requester_clause(condition):
        name, value = REQUESTER_PREFIX + str(condition["requester"]), condition.get("value")
        shown = "" if condition["op"] in {"is empty", "is not empty"} else " " + words.value(name, value)
        return f"{words.label(name)} {condition['op']}{shown}"
    if "field" in condition:
        name, value = condition["field"], condition.get("value")
        shown = "" if condition["op"] in {"is empty", "is not empty"} else " " + words.value(name, value)
        return f"{words.label(name)} {condition['op']}{shown}"
    if "not" in condition:
        return f"not ({condition_text(condition['not'], words)})"
    mode = "all" if "all" in condition else "any"
    parts = [condition_text(sub, words) for sub in condition.get(mode, [])]
    joiner = " and " if mode == "all" else " or "
    return joiner.join(p if " and " not in p and " or " not in p else f"({p})" for p in parts)
