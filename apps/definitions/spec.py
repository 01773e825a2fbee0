"""The definition spec: its shape, and the validator that publishing runs.

A spec is plain JSON::

    {"fields": [{"name", "type", "label", "help", "required", "required_before",
                 "choices", "default", "min", "max", "greater_than", "decimal_places",
                 "not_requester" (a "user" field: may not name the requester),
                 "not_past" (a "date" field: refuses a day before today at intake), "show_when"}],
     "stages": [{"key", "name", "when", "policy": "all" | "any" | "n_of_m", "n",
                 "approvers": [{"key", "label", "type": "manager" | "managers_manager"
                                | "role" | "user", "role", "user", "when",
                                "fields": [names the approver fills in to approve],
                                "authority": true (a manager: climb the chain to one whose
                                               limit covers the amount, see "authority")}
                               | {"key", "label", "type": "owners", "field"}
                               | {"key", "label", "type": "user_field", "field"}
                               | {"key", "label", "type": "department_role", "role"}]}
                | {"key", "name", "when", "type": "http", "system", "not_before" (a date field),
                   "request": {"method", "url", "headers", "body"}, "timeout_seconds",
                   "retry": {"attempts", "backoff_seconds", "max_backoff_seconds", "retry_on"},
                   "response": {"map": {field: "dotted.path"}}, "undo": {request},
                   "on_failure": "exception_queue" | "fail_case"}
                | {"key", "name", "when", "type": "wait", "system", "timeout_hours", "sla"}
                | {"key", "name", "when", "type": "ui", "system", "timeout_seconds" (per action),
                   "retry": {"attempts", "backoff_seconds", "max_backoff_seconds"},
                   "guard": {"script": [actions], "found": selector, "extract": {field: selector}},
                   "script": [{"do": "goto" | "fill" | ..., ...}], "on_failure"} (see ui_spec.py)],
     "on_missing_required": "return_to_requester",
     "reason_codes": [{"code", "label"}],
     "authority": {"field": amount field, "default_up_to": number,
                   "limits": [{"role" | "user", "up_to": number}]},
     "similar_cases": {"months", "same": ["requester" | field name]},
     "description": "what this workflow is for", "form_intro": "text above the start form"}

Stages run one after another; the approvers of a stage work in parallel and the stage's
policy says how many must approve. An "http" stage is an automated call to another system (see
apps/integrations/calls.py for its placeholders); a "wait" stage waits for that system to call
back through an inbound webhook; its own "sla" (kind "wait") reminds while it waits, and a
notify level may name an e-mail field (`{"field": "contact_email"}`) to mail someone outside the
organisation. An "http" stage with `not_before` is called on the day its date field names (a
scheduled step, e.g. revoking access when it expires). A `when` condition adds the stage or
approver only when it holds (see conditions.py; it may ask about the requester). Fields an
approver lists in `fields` are filled in at that step, not at intake. A field's `show_when` (the
same condition language, over fields listed before it) asks for the field only when it holds:
otherwise the form leaves it out, it is never required and a value sent for it is refused (see
fields.py). `similar_cases` shows approvers how many cases of the workflow the same
requester, or with the same value of a field, started in the last `months`.
"""

import re
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from apps.core.netguard import host_problem

from .approval_checks import check_approver_extras, check_authority, check_requester_clause, step_field_names
from .approval_checks import finite_number as _number
from .conditions import OPERATORS, UNARY_OPERATORS, fields_in, is_requester_clause
from .fields import FIELD_TYPES, clean_value
from .placeholders import PLACEHOLDER, PLACEHOLDER_NAMES
from .reachability import unreachable_problems
from .texts import check_texts
from .ui_spec import check_ui_step

POLICIES = ["all", "any", "n_of_m"]
STAGE_TYPES = ["approval", "http", "wait", "ui"]
STEP_TYPES = ["http", "wait", "ui"]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
ON_FAILURE = ["exception_queue", "fail_case"]
MAX_TIMEOUT_SECONDS = 50  # inside the q2 task timeout (60 s)
MAX_WAIT_HOURS = 8760  # a year
MAX_BACKOFF_SECONDS = 86400
# What a step does when its spec leaves a setting out (the runner, the diagram and the SOP agree).
STEP_DEFAULT_TIMEOUT_SECONDS = 10
STEP_DEFAULT_RETRY = {
    "attempts": 4,
    "backoff_seconds": 10,
    "max_backoff_seconds": 600,
    "retry_on": [408, 429, 500, 502, 503, 504],
}
STEP_DEFAULT_WAIT_HOURS = 72
APPROVER_TYPES = ["manager", "managers_manager", "role", "user"]
# Approvers the builder does not offer, used by built-in workflows: "owners" are the owners of
# the workflow a text field names (all but the requester), as `workflow-change` needs.
SYSTEM_APPROVER_TYPES = ["owners"]
# Approvers the builder does not offer yet (edit them in the spec's JSON): "user_field", the
# person a "user" field of the case names (the system owner chosen on the form);
# "department_role", the members of a role within the requester's department.
SPEC_APPROVER_TYPES = ["user_field", "department_role"]
ON_MISSING = ["return_to_requester"]
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
SIMILAR_REQUESTER = "requester"
SIMILAR_FIELD_TYPES = {"text", "choice", "email", "date"}  # stored as strings: compared as text
MAX_SIMILAR_MONTHS = 36


def _check_condition(condition, fields_by_name: dict, where: str, problems: list[str]) -> None:
    if condition in (None, {}):
        return
    if not isinstance(condition, dict):
        problems.append(f"{where}: a condition must be an object.")
        return
    if is_requester_clause(condition):
        check_requester_clause(condition, where, problems)
        return
    if "field" in condition:
        name, op = condition.get("field"), condition.get("op")
        if not isinstance(name, str) or name not in fields_by_name:
            problems.append(f"{where}: unknown field '{name}'.")
            return
        if op not in OPERATORS:
            problems.append(f"{where}: unknown operator '{op}' (use one of {', '.join(OPERATORS)}).")
            return
        if op in UNARY_OPERATORS:
            return
        value, field = condition.get("value"), fields_by_name[name]
        values = value if op in {"in", "not in"} else [value]
        if op in {"in", "not in"} and not isinstance(value, list):
            problems.append(f"{where}: '{op}' needs a list of values.")
            return
        if op == "contains":
            return
        for item in values:
            try:
                clean_value(field, item)
            except (ValueError, TypeError):
                problems.append(f"{where}: value '{item}' does not fit field '{name}' ({field['type']}).")
        if op in {"<", "<=", ">", ">="} and field["type"] not in {"decimal", "integer", "date"}:
            problems.append(f"{where}: '{op}' compares numbers or dates, but '{name}' is {field['type']}.")
        return
    if set(condition) == {"not"}:
        _check_condition(condition["not"], fields_by_name, where, problems)
        if not condition["not"]:
            problems.append(f"{where}: 'not' needs a condition.")
        return
    groups = [k for k in ("all", "any") if k in condition]
    if len(groups) != 1 or not isinstance(condition[groups[0]], list) or not condition[groups[0]]:
        problems.append(f"{where}: a group needs exactly one non-empty 'all' or 'any' list.")
        return
    for i, sub in enumerate(condition[groups[0]], 1):
        _check_condition(sub, fields_by_name, f"{where}, clause {i}", problems)


MSG_NOT_PAST = "{where}: not_past is true or false, and only on a date field."
MSG_SHOW_WHEN_LATER = "{where}: shown only when a condition holds on '{name}', which is not a field listed before it."


def _check_show_when(field: dict, earlier: dict, where: str, problems: list[str]) -> None:
    """A field's `show_when` reads only fields listed before it: the form decides top-down what
    to ask, and no field can hide itself or the field that decides about it."""
    condition = field.get("show_when")
    if condition in (None, {}):
        return
    try:
        later = [n for n in fields_in(condition) if isinstance(n, str) and n not in earlier]
    except (AttributeError, TypeError):  # not a condition: _check_condition says what is wrong
        later = []
    if later:
        problems.append(MSG_SHOW_WHEN_LATER.format(where=where, name=later[0]))
        return
    _check_condition(condition, earlier, f"{where}, shown when", problems)
    if field.get("required_before"):
        problems.append(f"{where}: a field shown only when a condition holds cannot be required before a stage.")


def _strip_limits(field: dict) -> dict:
    return {k: v for k, v in field.items() if k not in {"greater_than", "min", "max", "max_length"}}


def validate_spec(spec) -> list[str]:
    """Every problem in a spec, in words a workflow owner understands; empty when valid."""
    problems: list[str] = []
    if not isinstance(spec, dict):
        return ["The spec must be an object."]
    fields = spec.get("fields")
    if not isinstance(fields, list) or not fields:
        problems.append("Add at least one field.")
        fields = []
    fields_by_name: dict[str, dict] = {}
    for i, field in enumerate(fields, 1):
        where = f"Field {i}"
        if not isinstance(field, dict):
            problems.append(f"{where}: must be an object.")
            continue
        name = field.get("name", "")
        if not isinstance(name, str) or not NAME_RE.match(name):
            problems.append(f"{where}: name '{name}' must be lower-case letters, digits and underscores.")
            continue
        where = f"Field '{name}'"
        if name in fields_by_name:
            problems.append(f"{where}: the name is used twice.")
        if field.get("type") not in FIELD_TYPES:
            problems.append(f"{where}: type '{field.get('type')}' is not one of {', '.join(FIELD_TYPES)}.")
            continue
        if field["type"] == "choice" and not field.get("choices"):
            problems.append(f"{where}: a choice field needs choices.")
        if field.get("not_requester") is not None and (
            field["type"] != "user" or not isinstance(field["not_requester"], bool)
        ):
            problems.append(f"{where}: not_requester is true or false, and only on a user field.")
        if field.get("not_past") is not None and (field["type"] != "date" or not isinstance(field["not_past"], bool)):
            problems.append(MSG_NOT_PAST.format(where=where))
        for limit in ("min", "max", "greater_than"):
            if limit in field:
                try:
                    Decimal(str(field[limit]))
                except InvalidOperation:
                    problems.append(f"{where}: {limit} must be a number.")
        if "min" in field and "max" in field and not problems:
            if Decimal(str(field["min"])) > Decimal(str(field["max"])):
                problems.append(f"{where}: min is larger than max.")
        if field.get("default") not in (None, ""):
            try:
                clean_value(field, field["default"])
            except ValueError as problem:
                problems.append(f"{where}: default '{field['default']}' is not valid: {problem}")
        _check_show_when(field, fields_by_name, where, problems)
        # Rule values are compared against the type only, not the intake limits.
        fields_by_name[name] = _strip_limits(field)

    stages = spec.get("stages")
    if not isinstance(stages, list) or not stages:
        problems.append("Add at least one approval stage.")
        stages = []
    elif not any(isinstance(s, dict) and s.get("type", "approval") == "approval" for s in stages):
        problems.append("Add at least one approval stage: automated steps alone decide nothing.")
    stage_keys: list[str] = []
    for i, stage in enumerate(stages, 1):
        if not isinstance(stage, dict):
            problems.append(f"Stage {i}: must be an object.")
            continue
        key = stage.get("key", "")
        where = f"Stage '{key}'" if isinstance(key, str) and key else f"Stage {i}"
        if not isinstance(key, str) or not NAME_RE.match(key):
            problems.append(f"{where}: key must be lower-case letters, digits and underscores.")
        elif key in stage_keys:
            problems.append(f"{where}: the key is used twice.")
        stage_keys.append(key)
        _check_condition(stage.get("when"), fields_by_name, f"{where}, condition", problems)
        if stage.get("type", "approval") not in STAGE_TYPES:
            problems.append(f"{where}: type '{stage.get('type')}' is not one of {', '.join(STAGE_TYPES)}.")
            continue
        if stage.get("type") in STEP_TYPES:
            check_step(stage, where, fields_by_name, problems)
            continue
        approvers = stage.get("approvers")
        if not isinstance(approvers, list) or not approvers:
            problems.append(f"{where}: the approver set is empty.")
            approvers = []
        approver_keys = set()
        for j, approver in enumerate(approvers, 1):
            a_where = f"{where}, approver {j}"
            if not isinstance(approver, dict):
                problems.append(f"{a_where}: must be an object.")
                continue
            a_key = approver.get("key", "")
            if not isinstance(a_key, str) or not NAME_RE.match(a_key):
                problems.append(f"{a_where}: key must be lower-case letters, digits and underscores.")
            elif a_key in approver_keys:
                problems.append(f"{a_where}: key '{a_key}' is used twice in this stage.")
            else:
                approver_keys.add(a_key)
            kind = approver.get("type")
            check_approver_extras(approver, a_where, spec, fields_by_name, problems)
            if kind == "user_field":
                named = fields_by_name.get(approver.get("field"))
                if named is None or named["type"] != "user":
                    problems.append(f"{a_where}: name the user field that holds the approver (field).")
            elif kind == "department_role":
                if not approver.get("role"):
                    problems.append(f"{a_where}: name the role that approves within the requester's department.")
            elif kind in SYSTEM_APPROVER_TYPES:
                named = fields_by_name.get(approver.get("field"))
                if named is None or named["type"] != "text":
                    problems.append(f"{a_where}: name the text field that holds the workflow's key.")
            elif kind not in APPROVER_TYPES:
                problems.append(f"{a_where}: type '{kind}' is not one of {', '.join(APPROVER_TYPES)}.")
            elif kind == "role" and not approver.get("role"):
                problems.append(f"{a_where}: name the role that approves.")
            elif kind == "user" and not approver.get("user"):
                problems.append(f"{a_where}: name the user who approves.")
            _check_condition(approver.get("when"), fields_by_name, f"{a_where}, condition", problems)
        policy = stage.get("policy", "all")
        if policy not in POLICIES:
            problems.append(f"{where}: policy '{policy}' is not one of {', '.join(POLICIES)}.")
        elif policy == "n_of_m":
            n = stage.get("n")
            if not isinstance(n, int) or isinstance(n, bool) or n < 1:
                problems.append(f"{where}: N of M needs N as a whole number of at least 1.")
            elif n > len(approvers):
                problems.append(f"{where}: N ({n}) is larger than M, the number of approvers ({len(approvers)}).")

    step_fields = step_field_names(stages)
    for name, field in fields_by_name.items():
        if name in step_fields and (field.get("required") or field.get("required_before")):
            problems.append(
                f"Field '{name}': filled in by an approver at a step, so it cannot be required from the requester."
            )
        before = field.get("required_before")
        if before and before not in stage_keys:
            problems.append(f"Field '{name}': required before unknown stage '{before}'.")
        if before and field.get("required"):
            problems.append(f"Field '{name}': required at intake and before a stage; choose one.")
    if spec.get("on_missing_required", "return_to_requester") not in ON_MISSING:
        problems.append(f"on_missing_required must be one of {', '.join(ON_MISSING)}.")
    _check_sla(spec, stage_keys, problems, fields_by_name)
    check_authority(spec, fields_by_name, problems)
    _check_similar(spec.get("similar_cases"), fields_by_name, problems)
    reason_codes = spec.get("reason_codes", [])
    if not isinstance(reason_codes, list) or any(
        not isinstance(r, dict) or not isinstance(r.get("code"), str) or not r.get("code") or not r.get("label")
        for r in reason_codes
    ):
        problems.append("Each reason code needs a code and a label.")
    elif len({r["code"] for r in reason_codes}) != len(reason_codes):
        problems.append("Each reason code must be different; a code is used twice.")
    check_texts(spec, problems)
    problems += unreachable_problems(spec)
    return problems


def _check_similar(similar, fields_by_name: dict, problems: list[str]) -> None:
    """`similar_cases`: a number of months and what "similar" means (the requester, fields)."""
    if similar is None:
        return
    if not isinstance(similar, dict):
        problems.append("similar_cases must be an object with months and same.")
        return
    months = similar.get("months")
    if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= MAX_SIMILAR_MONTHS:
        problems.append(f"similar_cases: months must be a whole number from 1 to {MAX_SIMILAR_MONTHS}.")
    same = similar.get("same")
    if not isinstance(same, list) or not same or len(set(map(str, same))) != len(same):
        problems.append('similar_cases: same must list "requester" or field names, each once.')
        return
    for name in same:
        if name == SIMILAR_REQUESTER:
            continue
        field = fields_by_name.get(name) if isinstance(name, str) else None
        if field is None:
            problems.append(f"similar_cases: unknown field '{name}'.")
        elif field["type"] not in SIMILAR_FIELD_TYPES:
            problems.append(
                f"similar_cases: field '{name}' is {field['type']}; compare exact values "
                f"({', '.join(sorted(SIMILAR_FIELD_TYPES))})."
            )


def _placeholders(value, found: list) -> list:
    if isinstance(value, dict):
        for k, v in value.items():
            _placeholders(k, found)
            _placeholders(v, found)
    elif isinstance(value, list):
        for v in value:
            _placeholders(v, found)
    elif isinstance(value, str):
        found.extend(PLACEHOLDER.findall(value))
        if "{{" in PLACEHOLDER.sub("", value):
            found.append(("", value))
    return found


def check_request(request, where: str, fields_by_name: dict, problems: list[str]) -> None:
    if not isinstance(request, dict):
        problems.append(f"{where}: must be an object with method, url, headers and body.")
        return
    if str(request.get("method", "POST")).upper() not in METHODS:
        problems.append(f"{where}: method '{request.get('method')}' is not one of {', '.join(METHODS)}.")
    url = request.get("url")
    if not isinstance(url, str) or not url.strip():
        problems.append(f"{where}: give the URL to call.")
    elif not (PLACEHOLDER.sub("x", url).startswith(("http://", "https://")) or url.strip().startswith("{{endpoint.")):
        problems.append(f"{where}: the URL must start with http://, https:// or {{{{endpoint.NAME}}}}.")
    elif not url.strip().startswith("{{endpoint."):
        host = urlsplit(PLACEHOLDER.sub("x", url.strip())).hostname or ""
        # The address rule of calls and webhooks (apps.core.netguard), here without asking DNS.
        problem = host_problem(host) if host else None
        if problem:
            problems.append(f"{where}: {problem} Configure it as {{{{endpoint.NAME}}}}.")
        if "{{secret." in str([url, request.get("headers"), request.get("body")]):
            problems.append(
                f"{where}: a request that sends a secret must go to a configured endpoint"
                " ({{endpoint.NAME}}), so a definition cannot send credentials anywhere else."
            )
    headers = request.get("headers", {})
    if not isinstance(headers, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        problems.append(f"{where}: headers must map names to text.")
    elif any(s.lower() in {"authorization", "x-api-key"} and "{{secret." not in v for s, v in headers.items()):
        problems.append(f"{where}: put credentials in the environment and refer to them as {{{{secret.NAME}}}}.")
    for kind, name in _placeholders([url, headers, request.get("body")], []):
        if kind == "":
            problems.append(f"{where}: '{name}' holds a placeholder that is not {{{{kind.name}}}}.")
        elif kind == "field" and name not in fields_by_name:
            problems.append(f"{where}: unknown field '{name}' in {{{{field.{name}}}}}.")
        elif kind in PLACEHOLDER_NAMES and name not in PLACEHOLDER_NAMES[kind]:
            problems.append(f"{where}: {{{{{kind}.{name}}}}} is unknown; use {', '.join(PLACEHOLDER_NAMES[kind])}.")
        elif kind not in {"field", "secret", "endpoint", *PLACEHOLDER_NAMES}:
            problems.append(f"{where}: placeholder kind '{kind}' is not field, secret, endpoint, case or step.")


def check_step(stage: dict, where: str, fields_by_name: dict, problems: list[str]) -> None:
    """An automated stage: an HTTP call ("http") or a wait for another system's callback ("wait")."""
    system = stage.get("system")
    if not isinstance(system, str) or not system.strip() or len(system) > 100:
        problems.append(f"{where}: name the system it talks to (system, at most 100 characters).")
    if stage.get("approvers"):
        problems.append(f"{where}: an automated step has no approvers.")
    if stage["type"] == "wait":
        hours = _number(stage.get("timeout_hours", 1))
        if hours is None or not 0 < hours <= MAX_WAIT_HOURS:
            problems.append(f"{where}: timeout_hours must be a number of hours above 0 and at most {MAX_WAIT_HOURS}.")
        return
    if stage["type"] == "ui":
        check_ui_step(stage, where, fields_by_name, problems)
        _check_retry(stage, where, problems)
        _check_on_failure(stage, where, problems)
        return
    check_request(stage.get("request"), f"{where}, request", fields_by_name, problems)
    if stage.get("not_before") is not None:
        dated = fields_by_name.get(stage["not_before"]) if isinstance(stage["not_before"], str) else None
        if dated is None or dated["type"] != "date":
            problems.append(f"{where}: not_before must name a date field (the day the call is made).")
    if "undo" in stage:
        check_request(stage.get("undo"), f"{where}, undo", fields_by_name, problems)
    timeout = _number(stage.get("timeout_seconds", 10))
    if timeout is None or not 0 < timeout <= MAX_TIMEOUT_SECONDS:
        problems.append(f"{where}: timeout_seconds must be above 0 and at most {MAX_TIMEOUT_SECONDS}.")
    _check_retry(stage, where, problems)
    codes = (stage.get("retry") if isinstance(stage.get("retry"), dict) else {}).get("retry_on", [])
    if not isinstance(codes, list) or any(not isinstance(c, int) or not 400 <= c <= 599 for c in codes):
        problems.append(f"{where}: retry_on must list HTTP status codes from 400 to 599.")
    mapping = (stage.get("response") or {}).get("map", {}) if isinstance(stage.get("response", {}), dict) else None
    if not isinstance(mapping, dict) or not all(isinstance(v, str) and v for v in mapping.values()):
        problems.append(f'{where}: response map must map field names to paths in the answer ("data.id").')
    else:
        for name in mapping:
            if name not in fields_by_name:
                problems.append(f"{where}: the response map writes unknown field '{name}'.")
    _check_on_failure(stage, where, problems)


def _check_on_failure(stage: dict, where: str, problems: list[str]) -> None:
    if stage.get("on_failure", "exception_queue") not in ON_FAILURE:
        problems.append(f"{where}: on_failure must be one of {', '.join(ON_FAILURE)}.")


def _check_retry(stage: dict, where: str, problems: list[str]) -> None:
    retry = stage.get("retry", {})
    if not isinstance(retry, dict):
        problems.append(f"{where}: retry must be an object.")
        retry = {}
    attempts = retry.get("attempts", 4)
    if not isinstance(attempts, int) or isinstance(attempts, bool) or not 1 <= attempts <= 20:
        problems.append(f"{where}: retry attempts must be a whole number from 1 to 20.")
    backoff, cap = _number(retry.get("backoff_seconds", 10)), _number(retry.get("max_backoff_seconds", 600))
    if backoff is None or backoff <= 0 or cap is None or cap < backoff or cap > MAX_BACKOFF_SECONDS:
        problems.append(
            f"{where}: backoff_seconds must be above 0 and max_backoff_seconds at least as large"
            f" and at most {MAX_BACKOFF_SECONDS} (a day)."
        )


SLA_ACTIONS = {
    "approval": ["remind", "notify", "escalate", "reroute"],
    "rework": ["remind", "notify", "auto_close"],
    "case": ["remind", "notify"],
    # A wait step's clock runs while the case waits for the other side (a customer): it reminds
    # the requester, or notifies someone, e.g. the customer contact an e-mail field names.
    "wait": ["remind", "notify"],
}
MSG_NOTIFY_FIELD = "{where}: notify field '{name}' must be an e-mail field of this workflow."


def _check_sla_policy(policy, kind: str, where: str, problems: list[str], fields_by_name: dict | None = None) -> None:
    if not isinstance(policy, dict):
        problems.append(f"{where}: must be an object.")
        return
    target = _number(policy.get("target_hours"))
    if target is None or target <= 0:
        problems.append(f"{where}: target_hours must be a number of hours above 0.")
    if not isinstance(policy.get("business", True), bool):
        problems.append(f"{where}: business must be true (business hours) or false (calendar hours).")
    levels = policy.get("levels", [])
    if not isinstance(levels, list):
        problems.append(f"{where}: levels must be a list.")
        return
    for i, level in enumerate(levels, 1):
        l_where = f"{where}, level {i}"
        if not isinstance(level, dict):
            problems.append(f"{l_where}: must be an object.")
            continue
        after = _number(level.get("after_hours"))
        if after is None or after < 0:
            problems.append(f"{l_where}: after_hours must be a number of hours, 0 or more.")
        if level.get("action") not in SLA_ACTIONS[kind]:
            problems.append(f"{l_where}: action '{level.get('action')}' is not one of {', '.join(SLA_ACTIONS[kind])}.")
        target_spec = level.get("notify")
        if level.get("action") == "notify" and target_spec is not None:
            if isinstance(target_spec, dict) and target_spec.get("field"):
                named = (fields_by_name or {}).get(target_spec["field"])
                if named is None or named.get("type") != "email":
                    problems.append(MSG_NOTIFY_FIELD.format(where=l_where, name=target_spec["field"]))
            elif not isinstance(target_spec, dict) or not (
                target_spec.get("role") or target_spec.get("user") or target_spec.get("type") == "manager"
            ):
                problems.append(f"{l_where}: notify needs a role, a user, type manager, or an e-mail field.")


def _check_sla(spec: dict, stage_keys: list[str], problems: list[str], fields_by_name: dict | None = None) -> None:
    """SLA policies: per kind of step (approval, rework, the whole case) and per stage."""
    sla = spec.get("sla")
    if sla is None:
        sla = {}
    if not isinstance(sla, dict):
        problems.append("sla must be an object.")
        return
    for kind, policy in sla.items():
        if kind not in SLA_ACTIONS:
            problems.append(f"SLA '{kind}': use approval, rework, case or wait.")
            continue
        _check_sla_policy(policy, kind, f"SLA {kind}", problems, fields_by_name)
    for stage in spec.get("stages") if isinstance(spec.get("stages"), list) else []:
        if isinstance(stage, dict) and stage.get("sla") is not None:
            kind = "wait" if stage.get("type") == "wait" else "approval"
            _check_sla_policy(stage["sla"], kind, f"Stage '{stage.get('key')}' SLA", problems, fields_by_name)
    if spec.get("calendar") is not None and not isinstance(spec.get("calendar"), str):
        problems.append("calendar must be the name of a business calendar.")


def condition_fields(spec: dict) -> set[str]:
    """All fields read by the spec's conditions (used by the builder's impact checks)."""
    names = set()
    for field in spec.get("fields", []):
        names.update(fields_in(field.get("show_when")))
    for stage in spec.get("stages", []):
        names.update(fields_in(stage.get("when")))
        for approver in stage.get("approvers", []):
            names.update(fields_in(approver.get("when")))
    return names
