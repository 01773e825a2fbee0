"""Row-by-row edits of a draft spec: the builder's forms add, change, move and remove one row.

Each function takes a spec and returns a changed copy, or raises ValidationFailed naming the
form field that is wrong, so the builder can show the message right at the field. The whole
draft is checked again when it is published (spec.validate_spec).

Sections: `fields`, `stages`, `steps`, `approvers` (parent: the stage key), `clauses` (parent: a
rule target, see `targets`), `reason_codes`; plus `rule` (effect and match of one target) and
`settings`. Approval stages and automated steps share one list (the spec's `stages`, in the order
a case meets them), so their indexes are the same in both sections; a step's form is flat
(`url`, `headers` as "Name: value" lines, `response_map` as "field = path" lines, ...).
"""

import copy
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from apps.core.errors import NotFound, ValidationFailed

from .conditions import OPERATORS, UNARY_OPERATORS, is_requester_clause
from .fields import FIELD_TYPES, clean_value
from .formvalues import (
    MSG_CHOICE,
    MSG_NAME,
    MSG_NAME_TAKEN,
    MSG_REQUIRED,
    MSG_UNKNOWN_FIELD,
    stage_key,
)
from .formvalues import checkbox as _checkbox
from .formvalues import fail as _fail
from .formvalues import number as _number
from .formvalues import text as _text
from .formvalues import whole as _whole
from .spec import (
    APPROVER_TYPES,
    NAME_RE,
    ON_MISSING,
    POLICIES,
    STEP_TYPES,
)
from .step_editing import MSG_IS_STEP, MSG_NOT_STEP, MSG_STEP_NO_APPROVERS, clean_step, step_form_values

SECTIONS = ["fields", "stages", "steps", "approvers", "clauses", "reason_codes"]
EFFECTS = {"add": "Applies only when", "skip": "Skipped when"}
MATCHES = {"all": "all conditions hold", "any": "any condition holds"}

MSG_MIN_MAX = "Min must not be larger than max."
MSG_CHOICES_NEEDED = "A choice field needs its choices, separated by commas."
MSG_N_LARGER = "N ({n}) is larger than M, the number of approvers ({m})."
MSG_ROLE_UNKNOWN = "There is no role '{role}'."
MSG_USER_UNKNOWN = "There is no active user '{user}'."
MSG_BOTH_REQUIRED = "Required at intake and required before a stage exclude each other; choose one."
MSG_UNKNOWN_STAGE = "There is no stage '{stage}'."
MSG_VALUE_MISFIT = "'{value}' does not fit {field} ({type}): {problem}"
MSG_ORDER_NEEDS_NUMBER = "'{op}' compares numbers or dates, but {field} is {type}."
MSG_ROW_GONE = "That row no longer exists; the draft changed meanwhile."
MSG_COMPLEX_RULE = "This condition is nested too deeply for the builder; export, edit and import it."
MSG_FIELD_IN_USE = "Rules still read '{name}'; change those rules first."
MSG_STAGE_IN_USE = "Field '{field}' is required before this stage; change that field first."


# Rule targets: a stage, or one approver of a stage.


def targets(spec: dict) -> list[dict]:
    """Everything a routing rule can switch on or off, in the order a case meets them."""
    found = []
    for stage in spec.get("stages", []):
        found.append(
            {"id": f"stage:{stage['key']}", "label": f"{stage.get('name') or stage['key']} stage", "row": stage}
        )
        for approver in stage.get("approvers", []):
            found.append(
                {
                    "id": f"approver:{stage['key']}:{approver['key']}",
                    "label": approver.get("label") or approver["key"],
                    "stage": stage.get("name") or stage["key"],
                    "row": approver,
                }
            )
    return found


def _target(spec: dict, target: str) -> dict:
    for found in targets(spec):
        if found["id"] == target:
            return found["row"]
    raise NotFound(MSG_ROW_GONE)


def rule_of(condition) -> dict | None:
    """The builder's view of a condition: effect, match and a flat list of clauses (None: too complex)."""
    effect = "add"
    if condition and set(condition) == {"not"}:
        effect, condition = "skip", condition["not"]
    if not condition:
        return {"effect": effect, "match": "all", "clauses": []}
    if is_requester_clause(condition):
        return None  # the builder's rows name case fields; a requester clause is edited as JSON
    if "field" in condition:
        return {"effect": effect, "match": "all", "clauses": [condition]}
    mode = "all" if "all" in condition else "any"
    clauses = condition.get(mode, [])
    if not all(isinstance(c, dict) and "field" in c for c in clauses):
        return None
    return {"effect": effect, "match": mode, "clauses": list(clauses)}


def condition_of(rule: dict):
    if not rule["clauses"]:
        return None
    condition = {rule["match"]: rule["clauses"]}
    return {"not": condition} if rule["effect"] == "skip" else condition


def _set_rule(row: dict, rule: dict) -> None:
    condition = condition_of(rule)
    if condition is None:
        row.pop("when", None)
    else:
        row["when"] = condition


def _editable_rule(row: dict) -> dict:
    rule = rule_of(row.get("when"))
    if rule is None:
        raise ValidationFailed(MSG_COMPLEX_RULE, field_errors={"field": [MSG_COMPLEX_RULE]})
    return rule


# Cleaning one row of each section.


def _clean_field(spec, values, index):
    errors = {}
    name = _text(values, "name")
    if not NAME_RE.match(name):
        errors["name"] = MSG_NAME
    elif any(f.get("name") == name for i, f in enumerate(spec.get("fields", [])) if i != index):
        errors["name"] = MSG_NAME_TAKEN.format(name=name)
    kind = _text(values, "type")
    if kind not in FIELD_TYPES:
        errors["type"] = MSG_CHOICE.format(choices=", ".join(FIELD_TYPES))
    row = {"name": name, "type": kind, "label": _text(values, "label") or name.replace("_", " ").capitalize()}
    if _text(values, "help"):
        row["help"] = _text(values, "help")
    required = _checkbox(values, "required")
    before = _text(values, "required_before")
    if required:
        row["required"] = True
    if before:
        if before not in [s["key"] for s in spec.get("stages", [])]:
            errors["required_before"] = MSG_UNKNOWN_STAGE.format(stage=before)
        elif required:
            errors["required_before"] = MSG_BOTH_REQUIRED
        row["required_before"] = before
    choices = [c.strip() for c in _text(values, "choices").split(",") if c.strip()]
    if kind == "choice":
        if not choices:
            errors["choices"] = MSG_CHOICES_NEEDED
        row["choices"] = choices
    if kind in {"decimal", "integer"}:
        for limit in ("min", "max"):
            number = _number(values, limit, errors)
            if number is not None:
                row[limit] = number
        if "min" in row and "max" in row and Decimal(str(row["min"])) > Decimal(str(row["max"])):
            errors["max"] = MSG_MIN_MAX
    previous = spec["fields"][index] if index is not None else {}
    for kept in ("greater_than", "decimal_places", "max_length", "max_digits", "not_past", "not_requester"):
        if kept in previous and previous.get("type") == kind:
            row[kept] = previous[kept]
    if previous.get("show_when"):  # set in the spec (JSON, a template): the row form keeps it
        row["show_when"] = previous["show_when"]
    default = _text(values, "default")
    if default and not errors.get("type") and not errors.get("choices"):
        try:
            row["default"] = clean_value(row, default)
        except ValueError as problem:
            errors["default"] = str(problem)
    if errors:
        _fail(errors)
    return row


def _clean_stage(spec, values, index):
    errors = {}
    key = stage_key(spec, values, index, errors)
    previous = spec["stages"][index] if index is not None else {}
    if previous.get("type") in STEP_TYPES:
        _fail({None: MSG_IS_STEP})
    row = {"key": key, "name": _text(values, "name") or key.replace("_", " ").capitalize()}
    policy = _text(values, "policy") or "all"
    if policy not in POLICIES:
        errors["policy"] = MSG_CHOICE.format(choices=", ".join(POLICIES))
    row["policy"] = policy
    if policy == "n_of_m":
        n = _whole(values, "n", errors, required=True)
        count = len(previous.get("approvers", []))
        if n is not None and n > count:
            errors["n"] = MSG_N_LARGER.format(n=n, m=count)
        row["n"] = n
    if errors:
        _fail(errors)
    if "when" in previous:
        row["when"] = previous["when"]
    row["approvers"] = previous.get("approvers", [])
    return row


def _clean_approver(spec, values, index, stage):
    errors = {}
    key = _text(values, "key")
    if not NAME_RE.match(key):
        errors["key"] = MSG_NAME
    elif any(a.get("key") == key for i, a in enumerate(stage.get("approvers", [])) if i != index):
        errors["key"] = MSG_NAME_TAKEN.format(name=key)
    kind = _text(values, "type")
    row = {"key": key, "label": _text(values, "label") or key.replace("_", " ").capitalize(), "type": kind}
    if kind not in APPROVER_TYPES:
        errors["type"] = MSG_CHOICE.format(choices=", ".join(APPROVER_TYPES))
    elif kind == "role":
        role = _text(values, "role")
        if not role:
            errors["role"] = MSG_REQUIRED
        elif not Group.objects.filter(name=role).exists():
            errors["role"] = MSG_ROLE_UNKNOWN.format(role=role)
        row["role"] = role
    elif kind == "user":
        user = _text(values, "user")
        if not user:
            errors["user"] = MSG_REQUIRED
        elif not get_user_model().objects.filter(username=user, is_active=True).exists():
            errors["user"] = MSG_USER_UNKNOWN.format(user=user)
        row["user"] = user
    if errors:
        _fail(errors)
    previous = stage["approvers"][index] if index is not None else {}
    if "when" in previous:
        row["when"] = previous["when"]
    return row


def _clean_clause(spec, values):
    errors = {}
    fields = {f["name"]: f for f in spec.get("fields", [])}
    name, op = _text(values, "field"), _text(values, "op")
    if name not in fields:
        errors["field"] = MSG_UNKNOWN_FIELD.format(field=name or "—")
    if op not in OPERATORS:
        errors["op"] = MSG_CHOICE.format(choices=", ".join(OPERATORS))
    row = {"field": name, "op": op}
    if errors or op in UNARY_OPERATORS:
        if errors:
            _fail(errors)
        return row
    field = {k: v for k, v in fields[name].items() if k not in {"min", "max", "greater_than", "max_length"}}
    raw = _text(values, "value")
    if raw == "":
        _fail({"value": MSG_REQUIRED})
    if op in {"<", "<=", ">", ">="} and field["type"] not in {"decimal", "integer", "date"}:
        _fail({"op": MSG_ORDER_NEEDS_NUMBER.format(op=op, field=name, type=field["type"])})
    items = [v.strip() for v in raw.split(",") if v.strip()] if op in {"in", "not in"} else [raw]
    cleaned = []
    for item in items:
        if op == "contains":
            cleaned.append(item)
            continue
        try:
            cleaned.append(clean_value(field, item))
        except ValueError as problem:
            _fail({"value": MSG_VALUE_MISFIT.format(value=item, field=name, type=field["type"], problem=problem)})
    row["value"] = cleaned if op in {"in", "not in"} else cleaned[0]
    return row


def _clean_reason(spec, values, index):
    errors = {}
    code = _text(values, "code")
    if not NAME_RE.match(code):
        errors["code"] = MSG_NAME
    elif any(r.get("code") == code for i, r in enumerate(spec.get("reason_codes", [])) if i != index):
        errors["code"] = MSG_NAME_TAKEN.format(name=code)
    label = _text(values, "label")
    if not label:
        errors["label"] = MSG_REQUIRED
    if errors:
        _fail(errors)
    return {"code": code, "label": label}


# The operations.


def _rows(spec: dict, section: str, parent: str | None) -> list:
    if section == "approvers":
        stage = next((s for s in spec.get("stages", []) if s.get("key") == parent), None)
        if stage is None:
            raise NotFound(MSG_ROW_GONE)
        if stage.get("type") in STEP_TYPES:
            raise NotFound(MSG_STEP_NO_APPROVERS)
        return stage.setdefault("approvers", [])
    if section == "steps":
        return spec.setdefault("stages", [])
    if section == "clauses":
        row = _target(spec, parent)
        rule = _editable_rule(row)
        return rule["clauses"]
    if section not in SECTIONS:
        raise NotFound(f"Unknown section '{section}'.")
    return spec.setdefault(section, [])


def _store_clauses(spec, parent, clauses, rule=None):
    row = _target(spec, parent)
    rule = rule or _editable_rule(row)
    rule["clauses"] = clauses
    _set_rule(row, rule)


def row_values(spec: dict, section: str, index: int, parent: str | None = None) -> dict:
    rows = _rows(spec, section, parent)
    if not 0 <= index < len(rows):
        raise NotFound(MSG_ROW_GONE)
    if section == "steps":
        if rows[index].get("type") not in STEP_TYPES:
            raise NotFound(MSG_NOT_STEP)
        return step_form_values(rows[index])
    return rows[index]


def row_save(spec: dict, *, section: str, values: dict, index: int | None = None, parent: str | None = None) -> dict:
    """Add (index None) or replace one row; returns the changed copy of the spec."""
    spec = copy.deepcopy(spec)
    rows = _rows(spec, section, parent)
    if index is not None and not 0 <= index < len(rows):
        raise NotFound(MSG_ROW_GONE)
    if section == "fields":
        row = _clean_field(spec, values, index)
        old = rows[index]["name"] if index is not None else None
        if old and old != row["name"]:
            _rename_field(spec, old, row["name"])
    elif section in {"stages", "steps"}:
        row = (clean_step if section == "steps" else _clean_stage)(spec, values, index)
        old = rows[index]["key"] if index is not None else None
        if old and old != row["key"]:
            for field in spec.get("fields", []):
                if field.get("required_before") == old:
                    field["required_before"] = row["key"]
    elif section == "approvers":
        stage = next(s for s in spec["stages"] if s["key"] == parent)
        row = _clean_approver(spec, values, index, stage)
    elif section == "clauses":
        row = _clean_clause(spec, values)
    else:
        row = _clean_reason(spec, values, index)
    if index is None:
        rows.append(row)
    else:
        rows[index] = row
    if section == "clauses":
        _store_clauses(spec, parent, rows)
    return spec


def _rename_field(spec, old, new):
    def walk(condition):
        if not condition:
            return
        if "field" in condition:
            if condition["field"] == old:
                condition["field"] = new
            return
        if "not" in condition:
            walk(condition["not"])
        for sub in condition.get("all", []) + condition.get("any", []):
            walk(sub)

    for field in spec.get("fields", []):
        walk(field.get("show_when"))
    for stage in spec.get("stages", []):
        walk(stage.get("when"))
        for approver in stage.get("approvers", []):
            walk(approver.get("when"))


def row_remove(spec: dict, *, section: str, index: int, parent: str | None = None) -> dict:
    from .spec import condition_fields

    spec = copy.deepcopy(spec)
    rows = _rows(spec, section, parent)
    if not 0 <= index < len(rows):
        raise NotFound(MSG_ROW_GONE)
    if section == "fields" and rows[index]["name"] in condition_fields(spec):
        raise ValidationFailed(MSG_FIELD_IN_USE.format(name=rows[index]["name"]))
    if section in {"stages", "steps"}:
        for field in spec.get("fields", []):
            if field.get("required_before") == rows[index]["key"]:
                raise ValidationFailed(MSG_STAGE_IN_USE.format(field=field["name"]))
    del rows[index]
    if section == "clauses":
        _store_clauses(spec, parent, rows)
    return spec


def row_move(spec: dict, *, section: str, index: int, direction: str, parent: str | None = None) -> dict:
    spec = copy.deepcopy(spec)
    rows = _rows(spec, section, parent)
    other = index - 1 if direction == "up" else index + 1
    if not (0 <= index < len(rows) and 0 <= other < len(rows)):
        raise NotFound(MSG_ROW_GONE)
    rows[index], rows[other] = rows[other], rows[index]
    if section == "clauses":
        _store_clauses(spec, parent, rows)
    return spec


def rule_set(spec: dict, *, target: str, effect: str, match: str) -> dict:
    """Whether a target's conditions add it or skip it, and whether all or any must hold."""
    errors = {}
    if effect not in EFFECTS:
        errors["effect"] = MSG_CHOICE.format(choices=", ".join(EFFECTS))
    if match not in MATCHES:
        errors["match"] = MSG_CHOICE.format(choices=", ".join(MATCHES))
    if errors:
        _fail(errors)
    spec = copy.deepcopy(spec)
    row = _target(spec, target)
    rule = _editable_rule(row)
    rule.update(effect=effect, match=match)
    _set_rule(row, rule)
    return spec


def settings_set(spec: dict, *, on_missing_required: str) -> dict:
    if on_missing_required not in ON_MISSING:
        _fail({"on_missing_required": MSG_CHOICE.format(choices=", ".join(ON_MISSING))})
    spec = copy.deepcopy(spec)
    spec["on_missing_required"] = on_missing_required
    return spec
