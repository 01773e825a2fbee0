"""Deciding where a case goes next, from the spec of the version it is pinned to.

Plain Python over the spec: the flow's `route` node calls `case_route` and dispatches on the
state it sets. Every decision is explained (rule, inputs, outcome) in `case.route`.
"""

from django.utils import timezone

from apps.definitions.accessors import Stage, spec_of
from apps.definitions.conditions import Words, evaluate

from .approvers import requester_attributes, resolve_approver, resolve_owners, resolve_with_authority
from .models import Case, CaseState, Outcome
from .taskinfo import task_info

# A task's decision values.
APPROVE, REJECT, RETURN, SUBMIT = "approve", "reject", "return", "submit"


def _required(stage: Stage, count: int) -> int:
    if stage.policy == "any":
        return 1
    if stage.policy == "n_of_m":
        return min(int(stage.n), count)
    return count


def stage_outcome(*, need: int, count: int, decisions: list[str]) -> str | None:
    """approved / rejected / returned once the decisions settle the stage, else None."""
    if RETURN in decisions:
        return "returned"
    approvals = decisions.count(APPROVE)
    rejections = decisions.count(REJECT)
    if approvals >= need:
        return "approved"
    if rejections > count - need:
        return "rejected"
    return None


def _explain_rule(subject: str, condition, data: dict, words: Words, requester=None) -> dict:
    """The rule, its outcome and the inputs it read; its text in the version's words (field
    labels, numbers as people write them: "Amount 5,000 >= 1,000"). Inputs about the requester
    are named "requester.<attribute>"."""
    trace = evaluate(condition, data, words=words, requester=requester)
    return {
        "rule": subject,
        "condition": condition,
        "text": trace.text,
        "result": trace.result,
        "inputs": {c["field"]: c["actual"] for c in trace.clauses},
    }


def case_route(case: Case, *, start_at: int = 0) -> None:
    """Set the case's next state from stage `start_at` on, and record why. Does not save."""
    spec = spec_of(case.version)
    words = spec.words
    data = case.data or {}
    asker = requester_attributes(lambda: case.requester)
    rules: list[dict] = []
    now = timezone.now()
    explanation = {"version": case.version_number, "at": now.isoformat(), "rules": rules}
    for stage in spec.stages[start_at:]:
        rule = _explain_rule(f"{stage.name} stage", stage.when, data, words, asker)
        if stage.when:
            rules.append(rule)
        if not rule["result"]:
            continue
        if stage.is_step and stage.key in (case.steps_done or []):
            rules.append({"rule": f"{stage.name} step", "text": "already done for this case", "result": False})
            continue
        missing = spec.missing(data, stage=stage.key)
        if missing:
            explanation.update(
                outcome=CaseState.REWORK,
                stage=stage.key,
                missing=[f.name for f in missing],
                summary=f"Returned to requester: {', '.join(f.label for f in missing)} required before {stage.name}.",
            )
            case.state, case.stage, case.route = CaseState.REWORK, stage.key, explanation
            # saved with the routing (the metrics' rework rate); the builder's impact preview replays
            # on a stand-in case that has no such counter
            case.returned_count = getattr(case, "returned_count", 0) + 1
            return
        if stage.is_step:
            summary = f"Waiting on {stage.system}: {stage.name}."
            day = data.get(stage.not_before) if stage.not_before else None
            if day:
                field = spec.field(stage.not_before)
                label = field.form_label if field is not None else stage.not_before
                summary = f"Waiting until {day} ({label}), then {stage.system}: {stage.name}."
            explanation.update(
                outcome=CaseState.WAITING,
                stage=stage.key,
                step=stage.type,
                system=stage.system,
                summary=summary,
                **({"not_before": day} if day else {}),
            )
            case.state, case.stage, case.route = CaseState.WAITING, stage.key, explanation
            return
        approvers, taken = [], set()
        for approver in stage.approvers:
            a_rule = _explain_rule(approver.label, approver.when, data, words, asker)
            if approver.when:
                rules.append(a_rule)
            if not a_rule["result"]:
                continue
            extra = {"fields": list(approver.fields)} if approver.fields else {}
            if approver.type == "owners":
                resolved = resolve_owners(approver, case, taken)
            elif approver.authority and spec.authority is not None:
                assignment, note, authority = resolve_with_authority(approver, case, taken, now)
                resolved, extra = [(assignment, note)], {**extra, "authority": authority}
            else:
                resolved = [resolve_approver(approver, case, taken, now)]
            for assignment, note in resolved:
                approvers.append(
                    {
                        "approver": approver.key,
                        "label": approver.label,
                        "why": a_rule["text"] if approver.when else "always",
                        "assignee_note": note,
                        **extra,
                        **assignment,
                    }
                )
        if not approvers:
            rules.append({"rule": f"{stage.name} stage", "text": "no approver applies", "result": False})
            continue
        case.round += 1
        for item in approvers:
            item.update(stage=stage.key, round=case.round)
        need = _required(stage, len(approvers))
        explanation.update(
            outcome=CaseState.APPROVAL,
            stage=stage.key,
            policy=stage.policy,
            need=need,
            approvers=approvers,
            summary=f"{stage.name}: "
            + "; ".join(f"{a['label']} ({a['why']})" for a in approvers)
            + f". {need} of {len(approvers)} must approve.",
        )
        case.state, case.stage, case.route = CaseState.APPROVAL, stage.key, explanation
        return
    explanation.update(outcome=CaseState.APPROVED, summary="Every applicable approval stage approved.")
    case.state, case.stage, case.route = CaseState.APPROVED, "", explanation
    case.outcome = Outcome.APPROVED


def case_route_after_step(case: Case) -> None:
    """Route a case whose automated step has just finished (done or skipped). Does not save."""
    case_route(case, start_at=_stage_index(case) + 1)


def _stage_index(case: Case) -> int:
    return next(i for i, s in enumerate(spec_of(case.version).stages) if s.key == case.stage)


def case_route_after_stage(case: Case, decided_tasks: list) -> None:
    """Route a case whose approval stage has just settled. Does not save."""
    infos = {t.pk: task_info(t) for t in decided_tasks}
    decisions = [infos[t.pk].decision or None for t in decided_tasks]
    outcome = stage_outcome(
        need=case.route.get("need", 1), count=len(case.route.get("approvers", [])), decisions=decisions
    )
    if outcome == "approved":
        case_route(case, start_at=_stage_index(case) + 1)
        return
    deciding = sorted(
        (t for t in decided_tasks if infos[t.pk].decision in {REJECT, RETURN}), key=lambda t: (t.finished, t.pk)
    )
    by = infos[deciding[0].pk] if deciding else None
    labels = {c.code: c.label for c in spec_of(case.version).reason_codes}
    worded = [_with_code(infos[t.pk].reason, labels.get(infos[t.pk].reason_code, "")) for t in deciding]
    reason = "; ".join(dict.fromkeys(w for w in worded if w))
    codes = [infos[t.pk].reason_code for t in deciding if infos[t.pk].reason_code]
    explanation = {
        "version": case.version_number,
        "at": timezone.now().isoformat(),
        "stage": case.stage,
        "reason_code": codes[0] if codes else "",
        "rules": [],
        "decisions": [
            {"approver": infos[t.pk].label or None, "decision": infos[t.pk].decision or None} for t in decided_tasks
        ],
    }
    if outcome == "returned":
        explanation.update(
            outcome=CaseState.REWORK,
            missing=[],
            message=reason,
            summary=f"Returned to requester by {by.label or None}: {reason}",
        )
        case.state, case.route = CaseState.REWORK, explanation
        case.returned_count += 1  # saved with the routing (the metrics' rework rate)
        return
    explanation.update(
        outcome=CaseState.REJECTED, summary=f"Rejected by {(by.label or None) if by else 'policy'}: {reason}"
    )
    case.state, case.route = CaseState.REJECTED, explanation
    case.outcome, case.closed_reason = Outcome.REJECTED, reason


def _with_code(reason: str, label: str) -> str:
    """A decision's reason with its reason code's label in front ("Over budget: too pricey"), so
    the code survives into the case's closing reason, its notifications and its history."""
    if not label or reason.strip().lower() == label.lower():
        return reason or label
    return f"{label}: {reason}" if reason else label


# The states a migrated case may be closed in, by the outcome its spreadsheet row gives.
IMPORT_CLOSED = {
    Outcome.APPROVED: CaseState.APPROVED,
    Outcome.REJECTED: CaseState.REJECTED,
    Outcome.WITHDRAWN: CaseState.WITHDRAWN,
    Outcome.CANCELLED: CaseState.CANCELLED,
}


def case_route_imported(case: Case, *, stage: Stage | None, assignment: dict, outcome: str = "") -> None:
    """Route a case migrated from a spreadsheet where its row says it is: in the approval
    `stage` with one task for `assignment` (a user, or a role's queue), or closed with
    `outcome` (`stage` None). No rule is evaluated: the old process already decided. Does not save."""
    explanation = {"version": case.version_number, "at": timezone.now().isoformat(), "rules": [], "migrated": True}
    if stage is None:
        state = IMPORT_CLOSED[outcome]
        explanation.update(outcome=state, summary=f"Migrated from a spreadsheet, closed: {outcome}.")
        case.state, case.stage, case.route = state, "", explanation
        case.outcome, case.closed_reason = outcome, "Closed before it was migrated."
        return
    case.round += 1
    approver = {
        "approver": "migrated",
        "label": stage.name,
        "why": "migrated",
        "assignee_note": "the owner its spreadsheet row named",
        **assignment,
        "stage": stage.key,
        "round": case.round,
    }
    explanation.update(
        outcome=CaseState.APPROVAL,
        stage=stage.key,
        policy="any",
        need=1,
        approvers=[approver],
        summary=f"{stage.name}: migrated from a spreadsheet, with {approver.get('username') or approver['role']}.",
    )
    case.state, case.stage, case.route = CaseState.APPROVAL, stage.key, explanation
