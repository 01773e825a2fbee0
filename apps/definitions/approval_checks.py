"""Publish-time checks of what approvals need beyond who, when and how many (spec.py calls
them): conditions on the requester, the fields an approver fills in at a step, and approval
authority limits. The messages name the place and the fix, like the rest of the validator."""

from decimal import Decimal, InvalidOperation

from .conditions import OPERATORS, REQUESTER_ATTRIBUTES, UNARY_OPERATORS


def finite_number(value) -> Decimal | None:
    """The value as a finite number, or None (NaN and Infinity are no numbers of hours or money)."""
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


MSG_REQUESTER_ATTRIBUTE = "{where}: the requester has no attribute '{name}' (use one of {known})."
MSG_REQUESTER_ORDER = "{where}: '{op}' compares numbers or dates; the requester's {name} is {type}."
MSG_REQUESTER_VALUE = "{where}: value '{value}' does not fit the requester's {name} ({type})."


def check_requester_clause(condition: dict, where: str, problems: list[str]) -> None:
    """{"requester": attribute, "op", "value"}: an attribute of the person who asks."""
    name, op, value = condition.get("requester"), condition.get("op"), condition.get("value")
    kind = REQUESTER_ATTRIBUTES.get(name) if isinstance(name, str) else None
    if kind is None:
        problems.append(MSG_REQUESTER_ATTRIBUTE.format(where=where, name=name, known=", ".join(REQUESTER_ATTRIBUTES)))
        return
    if op not in OPERATORS:
        problems.append(f"{where}: unknown operator '{op}' (use one of {', '.join(OPERATORS)}).")
        return
    if op in UNARY_OPERATORS or op == "contains":
        return
    if op in {"<", "<=", ">", ">="}:
        problems.append(MSG_REQUESTER_ORDER.format(where=where, op=op, name=name, type=kind))
        return
    if op in {"in", "not in"} and not isinstance(value, list):
        problems.append(f"{where}: '{op}' needs a list of values.")
        return
    for item in value if op in {"in", "not in"} else [value]:
        fits = isinstance(item, bool) if kind == "boolean" else isinstance(item, str) and bool(item.strip())
        if not fits:
            problems.append(MSG_REQUESTER_VALUE.format(where=where, value=item, name=name, type=kind))


def step_field_names(stages) -> set[str]:
    return {
        name
        for stage in stages
        if isinstance(stage, dict)
        for approver in (stage.get("approvers") if isinstance(stage.get("approvers"), list) else [])
        if isinstance(approver, dict) and isinstance(approver.get("fields"), list)
        for name in approver["fields"]
        if isinstance(name, str)
    }


def check_approver_extras(approver: dict, where: str, spec: dict, fields_by_name: dict, problems: list[str]) -> None:
    """What an approver fills in at its step (`fields`) and whether its authority limit applies."""
    names = approver.get("fields")
    if names is not None:
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            problems.append(f"{where}: fields must list the names of fields the approver fills in.")
        else:
            for name in names:
                if name not in fields_by_name:
                    problems.append(f"{where}: the approver fills in unknown field '{name}'.")
    authority = approver.get("authority")
    if authority is not None:
        if not isinstance(authority, bool):
            problems.append(f"{where}: authority is true or false.")
        elif authority and approver.get("type") != "manager":
            problems.append(f"{where}: authority limits climb the manager chain; use them on a manager approver.")
        elif authority and not isinstance(spec.get("authority"), dict):
            problems.append(f"{where}: uses authority limits, but the workflow declares none (authority).")


def check_authority(spec: dict, fields_by_name: dict, problems: list[str]) -> None:
    """Approval authority: {"field": amount field, "default_up_to": n, "limits": [{"role"|"user", "up_to"}]}."""
    authority = spec.get("authority")
    if authority is None:
        return
    if not isinstance(authority, dict):
        problems.append("authority must be an object.")
        return
    field = fields_by_name.get(authority.get("field"))
    if field is None or field["type"] not in {"decimal", "integer"}:
        problems.append("authority: field must name the number field the limits compare (e.g. amount).")
    if "default_up_to" in authority and (
        finite_number(authority["default_up_to"]) is None or finite_number(authority["default_up_to"]) < 0
    ):
        problems.append("authority: default_up_to must be a number, 0 or more.")
    limits = authority.get("limits", [])
    if not isinstance(limits, list):
        problems.append("authority: limits must be a list.")
        return
    for i, limit in enumerate(limits, 1):
        where = f"authority, limit {i}"
        if not isinstance(limit, dict) or len([k for k in ("role", "user") if limit.get(k)]) != 1:
            problems.append(f"{where}: name either a role or a user.")
            continue
        up_to = finite_number(limit.get("up_to"))
        if up_to is None or up_to < 0:
            problems.append(f"{where}: up_to must be a number, 0 or more.")
