"""Two versions side by side: field by field, stage by stage, approver by approver, rule by rule.

An automated step is compared through its words (`_step_attrs`): system, call, retries, mapping,
undo; header values and secrets are not shown, only which headers there are."""

import json

from .diagram import DEFAULT_WAIT_HOURS, STEP_KINDS, is_step, request_text, retry_text, seconds_text, url_shown
from .reachability import condition_text
from .texts import TEXT_KEYS, TEXT_LABELS, Texts

FIELD_ATTRS = ["type", "label", "help", "required", "required_before", "choices", "default", "min", "max", "not_past"]
STAGE_ATTRS = ["name", "type", "policy", "n"]
STEP_ATTRS = [
    "system",
    "method",
    "URL",
    "headers",
    "body",
    "timeout",
    "attempts",
    "pause between attempts",
    "retried on",
    "answer fills in",
    "undo",
    "if it keeps failing",
    "waits up to",
]
APPROVER_ATTRS = ["label", "type", "role", "user"]


def _show(value) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if value is True:
        return "yes"
    return str(value)


def _compare(kind: str, name: str, old: dict | None, new: dict | None, attrs: list[str]) -> dict | None:
    if old is None or new is None:
        row = old or new
        return {
            "kind": kind,
            "name": name,
            "change": "added" if old is None else "removed",
            "rows": [
                {"attr": a, "old": _show((old or {}).get(a)), "new": _show((new or {}).get(a))}
                for a in attrs
                if row.get(a) not in (None, "", [])
            ],
        }
    rows = [{"attr": a, "old": _show(old.get(a)), "new": _show(new.get(a))} for a in attrs if old.get(a) != new.get(a)]
    return {"kind": kind, "name": name, "change": "changed", "rows": rows} if rows else None


def _step_attrs(stage: dict) -> dict:
    """A step as the words the diff compares."""
    row = {"name": stage.get("name"), "type": STEP_KINDS.get(stage.get("type")), "system": stage.get("system")}
    if stage.get("type") == "wait":
        return {**row, "waits up to": f"{stage.get('timeout_hours', DEFAULT_WAIT_HOURS)} h"}
    request = stage.get("request") if isinstance(stage.get("request"), dict) else {}
    retry = stage.get("retry") if isinstance(stage.get("retry"), dict) else {}
    headers = request.get("headers") if isinstance(request.get("headers"), dict) else {}
    mapping = (stage.get("response") or {}).get("map") if isinstance(stage.get("response"), dict) else None
    body = request.get("body")
    return {
        **row,
        "method": str(request.get("method") or "POST").upper(),
        "URL": url_shown(request.get("url")),
        "headers": ", ".join(sorted(headers)),
        "body": json.dumps(body, sort_keys=True, ensure_ascii=False) if body is not None else None,
        "timeout": seconds_text(stage["timeout_seconds"]) if stage.get("timeout_seconds") else None,
        "attempts": retry_text(stage),
        "pause between attempts": "–".join(
            str(retry[k]) + " s" for k in ("backoff_seconds", "max_backoff_seconds") if k in retry
        ),
        "retried on": retry.get("retry_on"),
        "answer fills in": ", ".join(f"{k} ← {v}" for k, v in mapping.items()) if isinstance(mapping, dict) else None,
        "undo": request_text(stage["undo"]) if isinstance(stage.get("undo"), dict) else None,
        "if it keeps failing": (stage.get("on_failure") or "exception_queue").replace("_", " "),
    }


def _stage_attrs(stage: dict | None) -> dict | None:
    if stage is None or is_step(stage):
        return stage and _step_attrs(stage)
    return {k: v for k, v in stage.items() if k != "type"}  # "approval" is the default


def _compare_stages(key: str, old: dict | None, new: dict | None) -> dict | None:
    old, new = _stage_attrs(old), _stage_attrs(new)
    if old is not None and new is not None and (old.get("type") or new.get("type")):
        old, new = {"type": "approval stage", **old}, {"type": "approval stage", **new}
    return _compare("stage", key, old, new, STAGE_ATTRS + STEP_ATTRS)


def _compare_similar(old, new) -> dict | None:
    """`similar_cases`: added, removed or changed (months, what counts as the same)."""
    old, new = (value if isinstance(value, dict) else None for value in (old, new))
    if old is None and new is None:
        return None
    return _compare("setting", "similar requests shown to approvers", old, new, ["months", "same"])


def _keyed(items, key) -> dict:
    return {item.get(key): item for item in items or [] if isinstance(item, dict)}


def _rules(spec: dict) -> dict:
    rules = {}
    for stage in spec.get("stages", []):
        rules[f"{stage.get('name') or stage['key']} stage"] = condition_text(stage.get("when"))
        for approver in stage.get("approvers", []):
            rules[f"{approver.get('label') or approver['key']} ({stage['key']})"] = condition_text(approver.get("when"))
    return rules


def _compare_texts(old: Texts, new: Texts) -> list[dict]:
    """Each text that changed, in full on both sides (a text is short enough to read whole)."""
    old_values, new_values = old.as_dict(), new.as_dict()
    return [
        {
            "kind": "text",
            "name": TEXT_LABELS[key],
            "change": "changed",
            "rows": [{"attr": "text", "old": _show(old_values[key]), "new": _show(new_values[key])}],
        }
        for key in TEXT_KEYS
        if old_values[key] != new_values[key]
    ]


def spec_diff(old: dict, new: dict, *, texts: tuple[Texts, Texts] | None = None) -> list[dict]:
    """Sections (texts, fields, stages, approvers, rules, reason codes, settings), each a list of
    changes. `texts`: the two versions' texts as read (`texts_of`, with the fallback of a version
    older than versioned texts); else the specs' own."""
    sections = []

    def section(title, changes):
        sections.append({"title": title, "changes": [c for c in changes if c]})

    old_texts, new_texts = texts or (Texts.of(old), Texts.of(new))
    section("Texts", _compare_texts(old_texts, new_texts))

    old_fields, new_fields = _keyed(old.get("fields"), "name"), _keyed(new.get("fields"), "name")
    section(
        "Fields",
        [
            _compare("field", name, old_fields.get(name), new_fields.get(name), FIELD_ATTRS)
            for name in list(old_fields) + [n for n in new_fields if n not in old_fields]
        ],
    )
    old_stages, new_stages = _keyed(old.get("stages"), "key"), _keyed(new.get("stages"), "key")
    stage_keys = list(old_stages) + [k for k in new_stages if k not in old_stages]
    section(
        "Stages",
        [_compare_stages(key, old_stages.get(key), new_stages.get(key)) for key in stage_keys]
        + [
            {
                "kind": "order",
                "name": "stage order",
                "change": "changed",
                "rows": [{"attr": "order", "old": " → ".join(old_stages), "new": " → ".join(new_stages)}],
            }
            if [k for k in old_stages if k in new_stages] != [k for k in new_stages if k in old_stages]
            else None
        ],
    )
    approver_changes = []
    for key in stage_keys:
        old_a = _keyed((old_stages.get(key) or {}).get("approvers"), "key")
        new_a = _keyed((new_stages.get(key) or {}).get("approvers"), "key")
        for a_key in list(old_a) + [k for k in new_a if k not in old_a]:
            approver_changes.append(
                _compare("approver", f"{key} / {a_key}", old_a.get(a_key), new_a.get(a_key), APPROVER_ATTRS)
            )
    section("Approvers", approver_changes)
    old_rules, new_rules = _rules(old), _rules(new)
    section(
        "Routing rules",
        [
            {
                "kind": "rule",
                "name": name,
                "change": "added" if name not in old_rules else "removed" if name not in new_rules else "changed",
                "rows": [{"attr": "applies when", "old": old_rules.get(name, "—"), "new": new_rules.get(name, "—")}],
            }
            for name in list(old_rules) + [n for n in new_rules if n not in old_rules]
            if old_rules.get(name) != new_rules.get(name)
        ],
    )
    old_codes, new_codes = _keyed(old.get("reason_codes"), "code"), _keyed(new.get("reason_codes"), "code")
    section(
        "Reason codes",
        [
            _compare("reason code", code, old_codes.get(code), new_codes.get(code), ["label"])
            for code in list(old_codes) + [c for c in new_codes if c not in old_codes]
        ],
    )
    section(
        "Settings",
        [
            _compare(
                "setting",
                "when a required field is missing",
                {"action": old.get("on_missing_required", "return_to_requester")},
                {"action": new.get("on_missing_required", "return_to_requester")},
                ["action"],
            ),
            _compare_similar(old.get("similar_cases"), new.get("similar_cases")),
        ],
    )
    return sections


def diff_count(sections: list[dict]) -> int:
    return sum(len(s["changes"]) for s in sections)
