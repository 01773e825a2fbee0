"""What the draft editor shows: the rows of each section and the form of one row.

Plain data for the templates; the checking of submitted values is done by the services
(apps.definitions.editing), whose field errors are shown next to these inputs.
"""

import re

from django.contrib.auth.models import Group

from apps.definitions import editing
from apps.definitions.conditions import OPERATORS, UNARY_OPERATORS
from apps.definitions.diagram import approver_detail
from apps.definitions.fields import FIELD_TYPES
from apps.definitions.spec import APPROVER_TYPES, POLICIES

TITLES = {
    "fields": "Fields",
    "stages": "Approval stages",
    "approvers": "Approvers",
    "clauses": "Conditions",
    "reason_codes": "Reason codes for rejection",
}
ADD_LABELS = {
    "fields": "Add a field",
    "stages": "Add a stage",
    "approvers": "Add an approver",
    "clauses": "Add a condition",
    "reason_codes": "Add a reason code",
}
POLICY_LABELS = {"all": "All must approve", "any": "Any one approves", "n_of_m": "N of M approve"}
APPROVER_LABELS = {
    "manager": "Requester's manager",
    "managers_manager": "Manager's manager",
    "role": "A role",
    "user": "A named user",
}


def dom_id(section: str, parent: str | None = None, index=None) -> str:
    raw = "-".join(str(p) for p in ("row", section, parent or "", "new" if index is None else index))
    return re.sub(r"[^A-Za-z0-9_-]+", "-", raw)


def _choices(values, labels=None, blank=False):
    options = [(v, (labels or {}).get(v, v)) for v in values]
    return ([("", "—")] if blank else []) + options


def form_inputs(spec: dict, section: str, values: dict, errors: dict) -> list[dict]:
    """The inputs of one row's form, with their current values and errors."""
    stages = [s["key"] for s in spec.get("stages", [])]
    fields = [f["name"] for f in spec.get("fields", [])]
    layouts = {
        "fields": [
            ("name", "Name", "text", None),
            ("type", "Type", "select", _choices(FIELD_TYPES)),
            ("label", "Label", "text", None),
            ("help", "Help text", "text", None),
            ("required", "Required at intake", "checkbox", None),
            ("required_before", "Required before stage", "select", _choices(stages, blank=True)),
            ("choices", "Choices (comma-separated)", "text", None),
            ("min", "Min", "text", None),
            ("max", "Max", "text", None),
            ("default", "Default", "text", None),
        ],
        "stages": [
            ("key", "Key", "text", None),
            ("name", "Name", "text", None),
            ("policy", "Policy", "select", _choices(POLICIES, POLICY_LABELS)),
            ("n", "N (for N of M)", "text", None),
        ],
        "approvers": [
            ("key", "Key", "text", None),
            ("label", "Label", "text", None),
            ("type", "Who approves", "select", _choices(APPROVER_TYPES, APPROVER_LABELS)),
            ("role", "Role", "select", _choices(sorted(Group.objects.values_list("name", flat=True)), blank=True)),
            ("user", "User name", "text", None),
        ],
        "clauses": [
            ("field", "Field", "select", _choices(fields)),
            ("op", "Operator", "select", _choices(OPERATORS)),
            ("value", "Value (lists: comma-separated)", "text", None),
        ],
        "reason_codes": [("code", "Code", "text", None), ("label", "Label", "text", None)],
    }
    inputs = []
    for name, label, kind, choices in layouts[section]:
        value = values.get(name, "")
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        if isinstance(value, bool):
            value = "on" if value else ""
        inputs.append(
            {
                "name": name,
                "label": label,
                "kind": kind,
                "choices": choices,
                "value": "" if value is None else str(value),
                "errors": errors.get(name, []),
            }
        )
    return inputs


def _cells(spec: dict, section: str, row: dict) -> list[str]:
    if section == "fields":
        need = (
            "at intake"
            if row.get("required")
            else (f"before {row['required_before']}" if row.get("required_before") else "optional")
        )
        limits = ", ".join(f"{k} {row[k]}" for k in ("greater_than", "min", "max") if row.get(k) is not None)
        extra = ", ".join(row.get("choices", [])) or limits
        return [row["name"], row.get("label", ""), row.get("type", ""), need, extra]
    if section == "stages":
        policy = POLICY_LABELS.get(row.get("policy", "all"), row.get("policy"))
        if row.get("policy") == "n_of_m":
            policy = f"{row.get('n')} of {len(row.get('approvers', []))} approve"
        sla = (spec.get("sla") or {}).get(row["key"]) or {}
        target = f"{sla['target_hours']} h" if sla.get("target_hours") else "—"
        return [row["key"], row.get("name", ""), policy, str(len(row.get("approvers", []))), target]
    if section == "approvers":
        return [row["key"], row.get("label", ""), approver_detail(row)]
    if section == "clauses":
        value = row.get("value", "")
        shown = (
            ""
            if row["op"] in UNARY_OPERATORS
            else (", ".join(map(str, value)) if isinstance(value, list) else str(value))
        )
        return [row["field"], row["op"], shown]
    return [row.get("code", ""), row.get("label", "")]


COLUMNS = {
    "fields": ["Name", "Label", "Type", "Required", "Choices / limits"],
    "stages": ["Key", "Name", "Policy", "Approvers", "SLA"],
    "approvers": ["Key", "Label", "Who"],
    "clauses": ["Field", "Operator", "Value"],
    "reason_codes": ["Code", "Label"],
}


def section_block(spec: dict, section: str, rows: list, *, parent=None, editing_index=None, form=None) -> dict:
    """One table of the editor. `editing_index` ('new' or a number) opens that row's form."""
    return {
        "section": section,
        "parent": parent or "",
        "title": TITLES[section],
        "add_label": ADD_LABELS[section],
        "columns": COLUMNS[section],
        "rows": [
            {
                "index": i,
                "cells": _cells(spec, section, row),
                "dom_id": dom_id(section, parent, i),
                "last": i == len(rows) - 1,
                "editing": form if editing_index == i else None,
            }
            for i, row in enumerate(rows)
        ],
        "new_dom_id": dom_id(section, parent, None),
        "new_form": form if editing_index == "new" else None,
    }


def editor_blocks(spec: dict, *, open_row: dict | None = None) -> dict:
    """Every section of the editor; `open_row` = {section, parent, index, form} shows one form."""
    open_row = open_row or {}

    def block(section, rows, parent=None):
        same = open_row.get("section") == section and (open_row.get("parent") or "") == (parent or "")
        return section_block(
            spec,
            section,
            rows,
            parent=parent,
            editing_index=open_row.get("index") if same else None,
            form=open_row.get("form") if same else None,
        )

    stages = spec.get("stages", [])
    rules = []
    for target in editing.targets(spec):
        rule = editing.rule_of(target["row"].get("when"))
        rules.append(
            {
                "target": target,
                "rule": rule,
                "block": block("clauses", rule["clauses"], target["id"]) if rule is not None else None,
            }
        )
    return {
        "fields": block("fields", spec.get("fields", [])),
        "stages": block("stages", stages),
        "approvers": [{"stage": s, "block": block("approvers", s.get("approvers", []), s["key"])} for s in stages],
        "rules": rules,
        "reason_codes": block("reason_codes", spec.get("reason_codes", [])),
        "effects": editing.EFFECTS,
        "matches": editing.MATCHES,
        "on_missing": spec.get("on_missing_required", "return_to_requester"),
    }
