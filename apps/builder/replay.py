"""Rule tester and impact preview: where would a case go under a spec?

Both run the engine's own routing decision (`apps.cases.routing.case_route`) on an unsaved,
in-memory stand-in for a case, so the answer is exactly what the engine would do; nothing is
written. The impact preview replays recent cases of the live version through the draft.
It lives in the builder, its only caller: it runs the engine, which `definitions` (a layer
below the engine) may not import.
"""

from types import SimpleNamespace

from apps.cases.models import Case
from apps.cases.routing import case_route, case_route_after_step
from apps.definitions.accessors import Field, spec_of
from apps.definitions.spec import STEP_TYPES

MSG_LIMIT = "Replay between 1 and {max} cases."
MAX_REPLAY = 500


def route_preview(*, version, data: dict, requester) -> dict:
    """The route a case with `data` would take from the start under `version`'s spec.

    Automated steps on the way are assumed to succeed (their answers cannot be known here, so
    fields they would fill stay as given): the preview lists them and goes on to the first
    approval stage, as a case would once the other systems have answered."""
    stand_in = SimpleNamespace(
        version=version,
        data=dict(data),
        version_number=version.number or 0,
        requester=requester,
        requester_id=requester.pk,  # the segregation-of-duties rule compares ids
        is_sandboxed=False,  # routes as the real requester would be routed
        round=0,
        state="",
        stage="",
        route={},
        outcome=None,
        steps_done=[],
    )
    case_route(stand_in, start_at=0)
    rules, steps = list(stand_in.route.get("rules", [])), []
    spec = spec_of(version)
    while stand_in.route.get("step") in STEP_TYPES and len(steps) < len(spec.stages):
        stage = spec.stage(stand_in.stage)
        steps.append({"key": stage.key, "name": stage.name, "summary": stand_in.route["summary"]})
        stand_in.steps_done.append(stage.key)
        case_route_after_step(stand_in)
        rules += stand_in.route.get("rules", [])
    route = stand_in.route
    summary = route.get("summary", "")
    if steps:
        summary = " ".join(s["summary"] for s in steps) + f" Then: {summary}"
    return {
        "state": stand_in.state,
        "stage": stand_in.stage,
        "summary": summary,
        "rules": rules,
        "steps": [s["name"] for s in steps],
        "approvers": [(a.get("stage"), a["approver"]) for a in route.get("approvers", [])],
        "approver_labels": [a.get("label", a["approver"]) for a in route.get("approvers", [])],
        "missing": route.get("missing", []),
    }


def sample_data(*, fields: tuple[Field, ...], values: dict) -> tuple[dict, dict]:
    """Clean the tester's sample values (empty ones are left out; defaults fill in). Returns (data, errors)."""
    data, errors = {}, {}
    for field in fields:
        raw = values.get(field.name)
        if raw in (None, "") and field.default not in (None, ""):
            raw = field.default
        if raw in (None, ""):
            continue
        try:
            data[field.name] = field.clean_value(raw)
        except ValueError as problem:
            errors[field.name] = str(problem)
    return data, errors


def _route_key(preview: dict) -> tuple:
    steps = tuple(preview.get("steps", []))
    return preview["state"], preview["stage"], tuple(sorted(preview["approvers"])), tuple(preview["missing"]), steps


def _why(before: dict, after: dict) -> list[str]:
    """Rules whose outcome differs, in words; then what the approvers become."""
    old = {r["rule"]: r for r in before["rules"]}
    reasons = []
    for rule in after["rules"]:
        was = old.get(rule["rule"])
        if was is None or was.get("result") != rule.get("result") or was.get("text") != rule.get("text"):
            verdict = "now applies" if rule.get("result") else "no longer applies"
            reasons.append(f"{rule['rule']} {verdict}: {rule['text']}" + (f" (was: {was['text']})" if was else ""))
    added = [label for label in after["approver_labels"] if label not in before["approver_labels"]]
    removed = [label for label in before["approver_labels"] if label not in after["approver_labels"]]
    if added:
        reasons.append("would now need " + ", ".join(added))
    if removed:
        reasons.append("would no longer need " + ", ".join(removed))
    for name in after.get("steps", []):
        if name not in before.get("steps", []):
            reasons.append(f"would now run the automated step {name}")
    for name in before.get("steps", []):
        if name not in after.get("steps", []):
            reasons.append(f"would no longer run the automated step {name}")
    if before["state"] != after["state"]:
        reasons.append(f"would be {after['state']} instead of {before['state']}")
    return reasons or ["the route differs"]


def impact_preview(*, live, draft, limit: int = 50) -> dict:
    """Replay the last `limit` open and the last `limit` closed cases of the live version through
    the draft; list those whose route would differ, and why. Test cases are left out."""
    if not 1 <= limit <= MAX_REPLAY:
        raise ValueError(MSG_LIMIT.format(max=MAX_REPLAY))
    base = Case.objects.filter(version=live, is_test=False).select_related("requester").order_by("-created", "-pk")
    open_cases = list(base.filter(outcome__isnull=True)[:limit])
    closed_cases = list(base.filter(outcome__isnull=False)[:limit])
    changed, fields = [], spec_of(live).fields
    for case in open_cases + closed_cases:
        data = case.data or {}
        before = route_preview(version=live, data=data, requester=case.requester)
        after = route_preview(version=draft, data=data, requester=case.requester)
        if _route_key(before) != _route_key(after):
            changed.append(
                {
                    "case": case,
                    "open": case.outcome is None,
                    "before": before,
                    "after": after,
                    "why": _why(before, after),
                    # What the case holds, as its page shows it: "Amount 700, Vendor ACME Ltd".
                    "data": [(f.label, f.shown(data[f.name])) for f in fields if data.get(f.name) not in (None, "")],
                }
            )
    return {
        "replayed": len(open_cases) + len(closed_cases),
        "open": len(open_cases),
        "closed": len(closed_cases),
        "changed": changed,
    }
