"""A version's standard operating procedure: purpose, fields, who approves what when, SLAs and
exceptions, in words; rendered as a printable page (templates/builder/sop.html) and as Markdown.

Automated steps read as one sentence each: the system, the call (method and URL, placeholders
shown by name), retries, what its answer fills in, what happens when it keeps failing, and its
undo. Header values and bodies are left out: they are for the machines.
"""

import re

from apps.core.numbers import number as number_text

from .accessors import NUMBER_TYPES, Spec, texts_of
from .conditions import AS_STORED, Words
from .diagram import (
    DEFAULT_BACKOFF,
    DEFAULT_MAX_BACKOFF,
    DEFAULT_RETRY_ON,
    STEP_KINDS,
    approver_detail,
    is_step,
    policy_text,
    request_text,
    seconds_text,
    step_attempts,
    wait_hours,
)
from .reachability import condition_text

MISSING_ACTIONS = {
    "return_to_requester": "the request goes back to the requester with a task that names what is missing; "
    "after resubmission the routing runs again",
}


def _rule(condition, words: Words = AS_STORED) -> str:
    text = condition_text(condition, words)
    return "always" if text == "always" else f"only when {text}"


def _sla(sla) -> str:
    """The stage's SLA (the `sla` section of the spec, read by the SLA sweeper) in words."""
    if not isinstance(sla, dict) or not sla.get("target_hours"):
        return "no SLA set"
    unit = "business hours" if sla.get("business") else "hours"
    steps = [
        f"{level.get('action', '').replace('_', ' ')} after {level.get('after_hours')} h"
        for level in sla.get("levels", [])
    ]
    return f"decide within {sla['target_hours']} {unit}" + (f" ({', '.join(steps)})" if steps else "")


REPAIR = "operators correct the data and retry, skip the step, hand it to a person, or cancel the case"
ON_FAILURE = {
    "exception_queue": f"the case goes to the exception queue ({REPAIR})",
    "fail_case": "the case fails and is closed (the undo calls of earlier steps run)",
}
STEP_EXCEPTIONS = [
    "An automated step that keeps failing goes to the exception queue unless the step says the case fails: "
    + REPAIR
    + ". Every attempt is kept with its request and answer (secrets hidden).",
    "Cancelling a case from the exception queue, or a case that fails, runs the undo calls of the steps that "
    "succeeded, latest first.",
]


def _tries(stage: dict) -> str:
    attempts = step_attempts(stage)
    if attempts <= 1:
        return "tried once, not retried"
    retry = stage.get("retry") if isinstance(stage.get("retry"), dict) else {}
    try:
        pause = (
            f"{seconds_text(retry.get('backoff_seconds', DEFAULT_BACKOFF))} growing to "
            f"{seconds_text(retry.get('max_backoff_seconds', DEFAULT_MAX_BACKOFF))}"
        )
    except (TypeError, ValueError):
        pause = "a growing pause"
    codes = retry.get("retry_on", DEFAULT_RETRY_ON)
    on = ", ".join(str(c) for c in codes) if isinstance(codes, list) and codes else "none"
    return (
        f"tried up to {attempts} times, retrying after a pause of {pause} when it times out, cannot "
        f"connect or answers {on}"
    )


def step_text(stage: dict, fields: dict | None = None) -> str:
    """A step in one sentence (without its name), e.g. `automated: calls ERP (POST …); …`."""
    system = stage.get("system") or "another system"
    failing = ON_FAILURE.get(stage.get("on_failure", "exception_queue"), ON_FAILURE["exception_queue"])
    if stage.get("type") == "wait":
        return (
            f"automated: waits for {system} to call back (inbound webhook), up to {wait_hours(stage)} h; "
            f"without a callback in time {ON_FAILURE['exception_queue']}"
        )
    if stage.get("type") == "ui":
        script = stage.get("script") if isinstance(stage.get("script"), list) else []
        extracted = [a.get("field") for a in script if isinstance(a, dict) and a.get("do") == "extract"]
        parts = [f"automated: enters it in {system} through its web pages (a UI script of {len(script)} actions)"]
        parts.append(
            "first looks whether it was already done there (guard)"
            if isinstance(stage.get("guard"), dict)
            else "no guard: a retry after a crash may enter it twice"
        )
        parts.append(f"{_tries(stage)} when a page does not load")
        if extracted:
            labels = [(fields or {}).get(n, {}).get("label") or n for n in extracted if isinstance(n, str)]
            parts.append("the page fills in " + ", ".join(labels))
        parts.append(
            f"if it keeps failing, or at once when the page changed, the login is refused or a text is missing, {failing}"
        )
        parts.append("screenshots are kept with the case")
        return "; ".join(parts)
    parts = [f"automated: calls {system} ({request_text(stage.get('request'))})", _tries(stage)]
    if isinstance(stage.get("not_before"), str) and stage["not_before"]:
        label = (fields or {}).get(stage["not_before"], {}).get("label") or stage["not_before"]
        parts[0] = (
            f"automated, on the day in {label} (not before): calls {system} ({request_text(stage.get('request'))})"
        )
    mapping = (stage.get("response") or {}).get("map") if isinstance(stage.get("response"), dict) else None
    if isinstance(mapping, dict) and mapping:
        labels = {name: (fields or {}).get(name, {}).get("label") or name for name in mapping}
        parts.append("its answer fills in " + ", ".join(f"{labels[n]} (from {p})" for n, p in mapping.items()))
    parts.append(f"if it keeps failing {failing}")
    if isinstance(stage.get("undo"), dict):
        parts.append(f"undo: {request_text(stage['undo'])} when the case is cancelled or fails")
    return "; ".join(parts)


def sop_build(*, version) -> dict:
    spec, definition = version.spec, version.definition
    texts = texts_of(version)
    typed = Spec(spec)
    words = typed.words  # rules read "Amount >= 1,000", as the case page explains them
    stage_names = {s.key: s.name for s in typed.stages}  # as the owner wrote them
    fields = []
    for field in spec.get("fields", []):
        rules = []
        if field.get("show_when"):  # asked only for some requests ("only when Request type = leave")
            rules.append(f"asked {_rule(field['show_when'], words)}")
        if field.get("required"):
            rules.append("required")
        if field.get("required_before"):
            before = field["required_before"]
            rules.append(f"required before the {stage_names.get(before, before)} stage")
        if field.get("not_past") is True:
            rules.append("today or later")
        if field.get("choices"):
            rules.append("one of " + ", ".join(str(c) for c in field["choices"]))
        for limit, phrase in (("greater_than", "more than"), ("min", "at least"), ("max", "at most")):
            if field.get(limit) is not None:
                rules.append(f"{phrase} {number_text(field[limit])}")
        if field.get("default") not in (None, ""):
            rules.append(
                f"default {number_text(field['default']) if field.get('type') in NUMBER_TYPES else field['default']}"
            )
        fields.append(
            {
                "label": field.get("label") or field["name"],
                "name": field["name"],
                "type": field["type"],
                "help": field.get("help", ""),
                "rules": "; ".join(rules) or "optional",
            }
        )
    stages = []
    by_name = {f.get("name"): f for f in spec.get("fields", []) if isinstance(f, dict)}
    for number, stage in enumerate(spec.get("stages", []), 1):
        if is_step(stage):
            stages.append(
                {
                    "number": number,
                    "name": stage.get("name") or stage["key"],
                    "when": _rule(stage.get("when"), words),
                    "kind": STEP_KINDS[stage["type"]],
                    "system": stage.get("system", ""),
                    "automated": step_text(stage, by_name),
                    "approvers": [],
                }
            )
            continue
        stages.append(
            {
                "number": number,
                "name": stage.get("name") or stage["key"],
                "when": _rule(stage.get("when"), words),
                "policy": policy_text(stage),
                # The stage's own policy, else the spec's for approvals (what the SLA clock uses).
                "sla": _sla(getattr(typed.sla("approval", stage_key=stage["key"]), "raw", None)),
                "approvers": [
                    {
                        "label": a.get("label") or a["key"],
                        "who": approver_detail(a),
                        "when": _rule(a.get("when"), words),
                    }
                    for a in stage.get("approvers", [])
                ],
            }
        )
    on_missing = spec.get("on_missing_required", "return_to_requester")
    exceptions = [
        "A required-before-stage field that is missing: " + MISSING_ACTIONS.get(on_missing, on_missing) + ".",
        "A rejection closes the request with its reason and cancels the other open approvals of the stage.",
        "An approver may return the request to the requester with a reason; it is routed again after resubmission.",
        "Nobody approves a request they made, and nobody approves twice in one stage.",
        "A requester without a manager (or a named approver who cannot act) goes to the operators queue.",
    ]
    if any(is_step(s) for s in spec.get("stages", [])):
        exceptions += STEP_EXCEPTIONS
    similar = typed.similar_cases
    if similar is not None:
        same = ["requester"] * similar.by_requester + [typed.field_labels().get(f, f) for f in similar.fields]
        exceptions.append(
            f"Approvers see how many other requests had the same {' / the same '.join(same)} "
            f"in the last {similar.months} months, and how many were approved: a recurring request may "
            "mean the rule should change."
        )
    rework = (spec.get("sla") or {}).get("rework")
    if isinstance(rework, dict) and rework.get("target_hours"):
        exceptions.append(f"A request returned to its requester: {_sla(rework).replace('decide', 'resubmit')}.")
    return {
        "definition": definition,
        "version": version,
        "title": f"{definition.name} — standard operating procedure",
        "label": f"version {version.number}" if version.number else "draft (not published)",
        # This version's own words: the SOP of version 1 keeps saying what version 1 did.
        "purpose": texts.description or f"How {definition.name.lower()} requests are decided.",
        "form_intro": texts.form_intro,
        "fields": fields,
        "stages": stages,
        "reason_codes": spec.get("reason_codes", []),
        "exceptions": exceptions,
    }


# Markdown is rendered by whoever opens the file (a wiki, a repository, a chat): a name from the
# spec must stay text there. `<` and `&` become entities (no raw HTML, no autolink); brackets,
# backticks, backslashes and pipes are escaped (no link, no code span, no broken table cell).
# Emphasis characters are left alone: at worst a name reads in italics.
MD_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", "\\": "\\\\", "`": "\\`", "[": "\\[", "]": "\\]", "|": "\\|", "\r": " ", "\n": " "}
)
PLAIN_CODE = re.compile(r"[\w.:/ -]+")


def md(text) -> str:
    """Text from a spec, safe to place in Markdown: it renders as exactly what was typed."""
    return str(text).translate(MD_ESCAPES)


BLOCK_START = re.compile(r"^([#>+*-]|\d+(?=[.)]))")


def md_paragraph(line) -> str:
    """A line of a text as a paragraph: inline escapes, and a leading `#`, `>`, `-` or `1.` that
    would start a heading, quote or list is escaped too."""
    line = md(line).strip()
    return BLOCK_START.sub(lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit() else "\\" + m.group(1), line)


def md_code(text) -> str:
    """A code in a code span; one with markup characters as escaped text (a code span cannot escape)."""
    text = str(text)
    return f"`{text}`" if PLAIN_CODE.fullmatch(text) else md(text)


def sop_markdown(*, version) -> str:
    sop = sop_build(version=version)
    lines = [f"# {md(sop['title'])}", "", f"*{md(sop['definition'].key)}, {sop['label']}*"]
    if version.content_hash:
        lines.append(f"*content hash `{version.content_hash}`*")
    purpose = [md_paragraph(line) for line in str(sop["purpose"]).splitlines() if line.strip()]
    lines += ["", "## Purpose", "", "\n\n".join(purpose), "", "## What the requester provides", ""]
    intro = [md_paragraph(line) for line in str(sop["form_intro"]).splitlines() if line.strip()]
    if intro:
        lines += ["The start form says:", "", "\n>\n".join(f"> {line}" for line in intro), ""]
    lines += ["| Field | Type | Rules | Help |", "|---|---|---|---|"]
    lines += [f"| {md(f['label'])} | {md(f['type'])} | {md(f['rules'])} | {md(f['help'])} |" for f in sop["fields"]]
    lines += ["", "## Who approves what, when", ""]
    for stage in sop["stages"]:
        name = md(stage["name"])
        if stage.get("automated"):
            lines += [f"### {stage['number']}. {name}", ""]
            lines += [f"**{name}** — {md(stage['automated'])}. Runs {md(stage['when'])}.", ""]
            continue
        lines += [
            f"### {stage['number']}. {name}",
            "",
            f"Runs {md(stage['when'])}; the approvals run in parallel and {md(stage['policy'])}. "
            f"SLA: {md(stage['sla'])}.",
            "",
        ]
        lines += [f"- **{md(a['label'])}** — {md(a['who'])}, {md(a['when'])}." for a in stage["approvers"]]
        lines.append("")
    lines += ["## Exceptions", ""] + [f"- {md(e)}" for e in sop["exceptions"]]
    if sop["reason_codes"]:
        lines += ["", "## Reasons for rejection", ""]
        lines += [f"- {md_code(r['code'])} — {md(r['label'])}" for r in sop["reason_codes"]]
    return "\n".join(lines) + "\n"
