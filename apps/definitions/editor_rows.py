"""What the draft editor shows: the rows of each section and the form of one row.

Plain data for the builder's templates; the checking of submitted values is done by the
services (editing.py), whose field errors are shown next to these inputs. It lives here, beside
editing.py, because it reads the spec's JSON as stored (a row shows what the owner typed, not
the defaults the typed accessors fill in), and only this app reads that JSON.
"""

import re

from django.contrib.auth.models import Group

from apps.core.numbers import number

from . import editing
from .accessors import Spec
from .conditions import OPERATORS, UNARY_OPERATORS
from .diagram import STEP_KINDS, approver_detail, is_step, request_text, retry_text, step_detail
from .fields import FIELD_TYPES
from .spec import APPROVER_TYPES, METHODS, ON_FAILURE, POLICIES
from .ui_spec import GUARD_ACTIONS, UI_ACTIONS, UI_DEFAULT_TIMEOUT_SECONDS
from .ui_step_editing import inputs_of, script_rows

TITLES = {
    "fields": "Fields",
    "stages": "Approval stages",
    "steps": "Automated steps",
    "approvers": "Approvers",
    "clauses": "Conditions",
    "reason_codes": "Reason codes for rejection",
}
ADD_LABELS = {
    "fields": "Add a field",
    "stages": "Add a stage",
    "steps": "Add an automated step",
    "approvers": "Add an approver",
    "clauses": "Add a condition",
    "reason_codes": "Add a reason code",
}
POLICY_LABELS = {"all": "All must approve", "any": "Any one approves", "n_of_m": "N of M approve"}
FAILURE_LABELS = {
    "exception_queue": "Put the case in the exception queue (operators repair it)",
    "fail_case": "Fail the case (and run the undo calls)",
}
HINTS = {
    "url": "https://… or {{endpoint.NAME}}/path; case values as {{field.name}}",
    "headers": "One per line, Name: value. Credentials only as {{secret.NAME}}.",
    "body": 'JSON; values may be placeholders such as "{{field.amount}}".',
    "response_map": "One per line: field = path.in.answer (e.g. erp_id = data.id).",
    "attempts": "Blank: 4. Retried with a growing pause on timeouts and 408, 429, 5xx answers.",
    "undo_url": "Called when the case is cancelled or fails after this step succeeded.",
}
UI_HINTS = {
    "timeout_seconds": f"How long each action waits for its page or element. Blank: {UI_DEFAULT_TIMEOUT_SECONDS}.",
    "attempts": "Blank: 4. Retried with a growing pause when a page times out or does not load; "
    "a changed page, a refused login or a missing text goes to the exception queue at once.",
}
ACTION_LABELS = {
    "goto": "Go to (goto)",
    "fill": "Fill in (fill)",
    "select": "Choose an option (select)",
    "click": "Click (click)",
    "wait_for": "Wait for (wait_for)",
    "expect_text": "Expect text (expect_text)",
    "extract": "Read into a field (extract)",
    "screenshot": "Screenshot (screenshot)",
}
ACTION_INPUT_LABELS = {
    "url": ("URL", "{{endpoint.NAME}}/path"),
    "selector": ("CSS selector", "#po-number"),
    "value": ("Value", "{{field.name}}, or {{secret.NAME}} in a fill"),
    "text": ("Text", "Orders"),
    "field": ("Case field", ""),
    "name": ("Screenshot name", "order entered"),
    "login": ("Failing means the login was refused", ""),
}
SCRIPT_TITLES = {
    "script": (
        "Script",
        "One action per row, run in order in a fresh browser. The first goes to the page. "
        "Secrets only as the value of a fill, and only when every goto is an {{endpoint.NAME}}.",
    ),
    "guard": (
        "Guard (optional, recommended)",
        "Runs first, on every attempt: it looks the work up (e.g. searches the PO number). If the "
        "“found” selector is then on the page, the work was already done: the step reads the "
        "“extract” fields and does not run its script again. Only "
        + ", ".join(GUARD_ACTIONS)
        + " (an expect_text marked “failing means the login was refused” checks its sign-in).",
    ),
}
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
    layouts["steps"] = _step_layout(values.get("type") or "http")
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
                "hint": _hint(name, values) if section == "steps" else "",
            }
        )
    return inputs


def _hint(name: str, values: dict) -> str:
    return (UI_HINTS if values.get("type") == "ui" else {}).get(name) or HINTS.get(name, "")


def _step_layout(kind: str) -> list[tuple]:
    head = [("type", "Type", "hidden", None), ("key", "Key", "text", None), ("name", "Name", "text", None)]
    head.append(("system", "System", "text", None))
    if kind == "wait":
        return head + [("timeout_hours", "Wait at most (hours)", "text", None)]
    if kind == "ui":
        return head + [
            ("timeout_seconds", "Wait per action (seconds)", "text", None),
            ("attempts", "Attempts", "text", None),
            ("on_failure", "If it keeps failing", "select", _choices(ON_FAILURE, FAILURE_LABELS)),
        ]
    return head + [
        ("method", "Method", "select", _choices(METHODS)),
        ("url", "URL", "text", None),
        ("headers", "Headers", "textarea", None),
        ("body", "Body (JSON)", "textarea", None),
        ("response_map", "Fill fields from the answer", "textarea", None),
        ("timeout_seconds", "Timeout (seconds)", "text", None),
        ("attempts", "Attempts", "text", None),
        ("undo_method", "Undo method", "select", _choices(METHODS, blank=True)),
        ("undo_url", "Undo URL", "text", None),
        ("on_failure", "If it keeps failing", "select", _choices(ON_FAILURE, FAILURE_LABELS)),
    ]


def ui_script_blocks(spec: dict, values: dict, errors: dict) -> list[dict]:
    """A UI step form's script and guard, as rows of inputs (empty for other kinds of step)."""
    if values.get("type") != "ui":
        return []
    fields = [f["name"] for f in spec.get("fields", []) if "name" in f]
    blocks = []
    for prefix, actions in (("script", UI_ACTIONS), ("guard", GUARD_ACTIONS)):
        rows = script_rows(values, prefix)
        title, hint = SCRIPT_TITLES[prefix]
        block = {
            "prefix": prefix,
            "title": title,
            "hint": hint,
            "errors": errors.get(prefix, []),
            "rows": [
                _script_row(prefix, n, row, actions, fields, errors, last=n == len(rows) - 1)
                for n, row in enumerate(rows)
            ],
            "extra": [],
        }
        if prefix == "guard":
            block["extra"] = [
                _plain_input(
                    "guard_found", "Found: done when this CSS selector is on the page", "text", values, errors
                ),
                _plain_input(
                    "guard_extract",
                    "Extract when found (field = CSS selector, one per line)",
                    "textarea",
                    values,
                    errors,
                ),
            ]
        blocks.append(block)
    return blocks


def _plain_input(name, label, kind, values, errors) -> dict:
    value = values.get(name, "")
    return {
        "name": name,
        "label": label,
        "kind": kind,
        "value": "" if value is None else str(value),
        "errors": errors.get(name, []),
    }


def _script_row(prefix, n, row, actions, fields, errors, *, last) -> dict:
    do = row.get("do", "")
    choices = _choices(actions, ACTION_LABELS)
    if do and do not in actions:  # as typed or imported: shown, and the validator's error says why
        choices.append((do, do))
    inputs = []
    for name in inputs_of(do):
        label, placeholder = ACTION_INPUT_LABELS[name]
        value = row.get(name, "")
        kind = "checkbox" if name == "login" else ("select" if name == "field" else "text")
        field_choices = None
        if name == "field":
            field_choices = _choices(fields, blank=True) + ([(value, value)] if value and value not in fields else [])
        inputs.append(
            {
                "name": f"{prefix}-{n}-{name}",
                "label": label,
                "placeholder": placeholder,
                "kind": kind,
                "choices": field_choices,
                "value": value,
            }
        )
    return {
        "n": n,
        "number": n + 1,
        "do": do,
        "do_name": f"{prefix}-{n}-do",
        "choices": choices,
        "inputs": inputs,
        "errors": errors.get(f"{prefix}-{n}", []),
        "first": n == 0,
        "last": last,
    }


def _cells(spec: dict, section: str, row: dict) -> list[str]:
    if section == "fields":
        need = (
            "at intake"
            if row.get("required")
            else (f"before {row['required_before']}" if row.get("required_before") else "optional")
        )
        limits = ", ".join(f"{k} {number(row[k])}" for k in ("greater_than", "min", "max") if row.get(k) is not None)
        extra = ", ".join(row.get("choices", [])) or limits
        return [row["name"], row.get("label", ""), row.get("type", ""), need, extra]
    if section == "stages" and is_step(row):
        if row["type"] == "wait":
            what = step_detail(row)
        elif row["type"] == "ui":
            what = f"{step_detail(row)}: {_script_text(row)}"
        else:
            what = f"{step_detail(row)}: {request_text(row.get('request'))}"
        return [row["key"], row.get("name", ""), what, "automated", retry_text(row) if row["type"] != "wait" else "—"]
    if section == "stages":
        policy = POLICY_LABELS.get(row.get("policy", "all"), row.get("policy"))
        if row.get("policy") == "n_of_m":
            policy = f"{row.get('n')} of {len(row.get('approvers', []))} approve"
        sla = (spec.get("sla") or {}).get(row["key"]) or {}
        target = f"{sla['target_hours']} h" if sla.get("target_hours") else "—"
        return [row["key"], row.get("name", ""), policy, str(len(row.get("approvers", []))), target]
    if section == "approvers":
        return [row["key"], row.get("label", ""), approver_detail(row)]
    if section == "clauses":  # a threshold reads as everywhere else: 1,000 (the form keeps what was typed)
        value, numeric = row.get("value", ""), row["field"] in Spec(spec).words.numeric
        one = number if numeric else str
        shown = (
            ""
            if row["op"] in UNARY_OPERATORS
            else (", ".join(map(one, value)) if isinstance(value, list) else one(value))
        )
        return [row["field"], row["op"], shown]
    return [row.get("code", ""), row.get("label", "")]


def _script_text(row: dict) -> str:
    """`9 actions, guard` or `4 actions, no guard`: a UI step in the stage list."""
    script = row.get("script") if isinstance(row.get("script"), list) else []
    count = f"{len(script)} action{'' if len(script) == 1 else 's'}"
    return f"{count}, {'guard' if isinstance(row.get('guard'), dict) else 'no guard'}"


COLUMNS = {
    "fields": ["Name", "Label", "Type", "Required", "Choices / limits"],
    "stages": ["Key", "Name", "Policy, or what the step does", "Approvers", "SLA, or attempts"],
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
                "kind": STEP_KINDS.get(row.get("type")) if section == "stages" and is_step(row) else "",
                "edit_section": "steps" if section == "stages" and is_step(row) else section,
                "dom_id": dom_id(section, parent, i),
                "last": i == len(rows) - 1,
                "editing": form if editing_index == i else None,
            }
            for i, row in enumerate(rows)
        ],
        "new_dom_id": dom_id(section, parent, None),
        "new_form": form if editing_index == "new" else None,
        "new_step_dom_id": dom_id("steps", None, None),
        "step_kinds": STEP_KINDS,
    }


def editor_blocks(spec: dict, *, open_row: dict | None = None) -> dict:
    """Every section of the editor; `open_row` = {section, parent, index, form} shows one form."""
    open_row = open_row or {}

    def block(section, rows, parent=None):
        same = open_row.get("section") == section and (open_row.get("parent") or "") == (parent or "")
        if section == "stages" and open_row.get("section") == "steps":  # steps are rows of the stage list
            result = section_block(spec, section, rows, editing_index=open_row.get("index"), form=open_row.get("form"))
            result["new_step_form"], result["new_form"] = result["new_form"], None
            return result
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
        "approvers": [
            {"stage": s, "block": block("approvers", s.get("approvers", []), s["key"])}
            for s in stages
            if not is_step(s)
        ],
        "rules": rules,
        "reason_codes": block("reason_codes", spec.get("reason_codes", [])),
        "effects": editing.EFFECTS,
        "matches": editing.MATCHES,
        "on_missing": spec.get("on_missing_required", "return_to_requester"),
    }
