"""Deciding where a case goes next, from the spec of the version it is pinned to.

Plain Python over the spec: the flow's `route` node calls `case_route` and dispatches on the
state it sets. Every decision is explained (rule, inputs, outcome) in `case.route`.
"""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.core.numbers import number
from apps.definitions.accessors import Approver, Stage, spec_of
from apps.definitions.conditions import Words, evaluate
from apps.definitions.selectors import definition_owners
from apps.org import roles
from apps.org.selectors import (
    department_role_members,
    user_attributes,
    user_delegate,
    user_manager,
    user_manager_chain,
    user_role_names,
)

from .models import Case, CaseState, Outcome
from .policy import APPROVAL, REFUSALS, assignee_problem
from .taskinfo import task_info

User = get_user_model()

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


def _people(user, approver: Approver, requester, note: str, at):
    """Who may approve for one approver entry resolved to `user`, best first, with the note
    that explains each. Lazy: the backups cost a query each and are looked up only if needed."""
    away = None
    if user.pk != requester.pk:  # nobody acts "on behalf of" the requester on their own case
        delegate = user_delegate(user=user, at=at)
        if delegate is not None:
            away = f"{note}; {user.username} is away, so their delegate {delegate.username} acts for them"
            yield delegate, user.username, away
    if away is None:
        yield user, "", note
    if approver.backup:
        for backup in User.objects.filter(username=approver.backup):
            yield backup, "", f"{note}; the approver's backup {backup.username} acts instead"
    if user.pk != requester.pk:
        backup = getattr(getattr(user, "profile", None), "backup", None)
        if backup is not None:
            yield backup, "", f"{note}; {user.username}'s backup {backup.username} acts instead"
    if away is not None:
        yield user, "", note


def _assign_user(user, approver: Approver, case: Case, taken: set, note: str, at) -> tuple[dict, str]:
    """Assign to the first person the segregation-of-duties rule allows: the user, or their
    delegate while they are away (recorded "on behalf of"), or a backup. With nobody allowed,
    the operators' queue takes it and the note says why. `taken`: who already approves in
    this stage round (updated)."""
    refused = []
    for person, behalf, why in _people(user, approver, case.requester, note, at):
        if person.pk in {p for p, _ in refused}:
            continue
        problem = assignee_problem(user=person, case=case, kind=APPROVAL, holders=taken)
        if problem is not None:
            refused.append((person.pk, REFUSALS[problem].format(username=person.username)))
            continue
        taken.add(person.pk)
        assignment = {"user_id": person.pk, "username": person.username}
        if behalf:
            assignment["on_behalf_of"] = behalf
        if refused:
            why = f"{why} ({' '.join(r for _, r in refused)})"
        return assignment, why
    reasons = " ".join(r for _, r in refused)
    return {"role": roles.OPERATORS}, f"{note}; {reasons} The operators queue assigns it."


class _Requester(Mapping):
    """The requester's attributes for conditions that ask about them, read on first use only
    (one query; a workflow whose rules never ask pays nothing)."""

    def __init__(self, user):
        self._user, self._attributes = user, None

    def _read(self) -> dict:
        if self._attributes is None:
            self._attributes = user_attributes(user=self._user)
        return self._attributes

    def __getitem__(self, key):
        return self._read()[key]

    def __iter__(self):
        return iter(self._read())

    def __len__(self):
        return len(self._read())


def requester_attributes(user) -> Mapping:
    """The attributes of `user` that conditions may ask about, read when first asked."""
    return _Requester(user)


def _amount(case: Case, field: str) -> Decimal | None:
    try:
        return Decimal(str((case.data or {}).get(field)))
    except (InvalidOperation, ValueError):
        return None


def _shown(amount) -> str:
    return number(amount) if amount is not None else "no limit"


def _resolve_with_authority(approver: Approver, case: Case, taken: set, at) -> tuple[dict, str, dict]:
    """A manager approver under the workflow's authority limits: from the requester's manager up
    the chain to the first person whose limit covers the amount. Returns (assignment, note, the
    authority explanation: the amount and each person looked at with their limit)."""
    authority = spec_of(case.version).authority
    amount = _amount(case, authority.field)
    label = spec_of(case.version).words.label(authority.field)
    looked, current, seen = [], case.requester, {case.requester.pk}
    chosen = None
    while len(looked) < AUTHORITY_MAX_LEVELS:
        manager = user_manager(user=current, away_at=at)
        if manager is None or manager.pk in seen:
            break
        seen.add(manager.pk)
        limit = authority.limit_of(username=manager.username, role_names=user_role_names(user=manager))
        looked.append({"username": manager.username, "up_to": None if limit is None else str(limit)})
        chosen, current = manager, manager
        if amount is None or limit is None or limit >= amount:
            break
    explanation = {"field": authority.field, "amount": None if amount is None else str(amount), "chain": looked}
    if chosen is None:
        note = f"{case.requester.username} has no manager: the operators queue assigns it"
        return {"role": roles.OPERATORS}, note, explanation
    steps = [
        f"{p['username']} may approve up to {_shown(None if p['up_to'] is None else Decimal(p['up_to']))}"
        for p in looked
    ]
    covered = amount is None or looked[-1]["up_to"] is None or Decimal(looked[-1]["up_to"]) >= amount
    if amount is None:
        verdict = f"no {label} to compare, so the requester's manager"
    elif covered and len(looked) == 1:
        verdict = f"{label} {_shown(amount)} is within it"
    elif covered:
        verdict = f"{label} {_shown(amount)} is above the lower levels' limits, so the next level up approves"
    else:
        verdict = f"nobody in the chain may approve {label} {_shown(amount)}; the top of the chain approves"
    explanation["covered"] = covered
    note = f"{'; '.join(steps)}: {verdict}"
    assignment, note = _assign_user(chosen, approver, case, taken, note, at)
    return assignment, note, explanation


AUTHORITY_MAX_LEVELS = 20  # as user_manager_chain: a chain longer than this is a loop in the data


def _resolve_approver(approver: Approver, case: Case, taken: set, at) -> tuple[dict, str]:
    """Who approves for one approver entry: a user, or a role queue. Returns (assignment, note).
    `at`: the moment of the routing (who is away then)."""
    requester = case.requester
    kind = approver.type
    if kind == "user_field":
        username = str((case.data or {}).get(approver.field) or "")
        user = User.objects.filter(username=username, is_active=True).first() if username else None
        if user is None:
            note = f"nobody active is named in {approver.field}: the operators queue assigns it"
            return {"role": roles.OPERATORS}, note
        return _assign_user(user, approver, case, taken, f"{user.username} is named as {approver.field}", at)
    if kind == "department_role":
        # The requester never approves their own request, so they are not counted among the candidates.
        members = [m for m in department_role_members(user=requester, role=approver.role) if m.pk != requester.pk]
        for member in members:
            if assignee_problem(user=member, case=case, kind=APPROVAL, holders=taken) is None:
                taken.add(member.pk)
                others = [m.username for m in members if m.pk != member.pk]
                note = f"{member.username} holds {approver.role} in the requester's department" + (
                    f" (first of {len(members)} by name; also {', '.join(others)})" if others else ""
                )
                return {"user_id": member.pk, "username": member.username}, note
        note = f"nobody else in the requester's department holds {approver.role}: the operators queue assigns it"
        return {"role": roles.OPERATORS}, note
    if kind in {"manager", "managers_manager"}:
        wanted = 0 if kind == "manager" else 1
        chain = user_manager_chain(user=requester, limit=wanted + 1, away_at=at)
        if len(chain) > wanted:
            relation = "manager" if wanted == 0 else "manager's manager"
            note = f"{chain[wanted].username} is the requester's {relation}"
            return _assign_user(chain[wanted], approver, case, taken, note, at)
        if chain:
            note = f"no {kind.replace('_', ' ')}; top of chain {chain[-1].username}"
            return _assign_user(chain[-1], approver, case, taken, note, at)
        return {"role": roles.OPERATORS}, f"{requester.username} has no manager: the operators queue assigns it"
    if kind == "role":
        return {"role": approver.role}, f"any member of {approver.role}"
    user = User.objects.filter(username=approver.user).first()
    if user is None:
        return {"role": roles.OPERATORS}, f"{approver.user} cannot approve this case: the operators queue assigns it"
    return _assign_user(user, approver, case, taken, f"named approver {user.username}", at)


def _resolve_owners(approver: Approver, case: Case, taken: set) -> list[tuple[dict, str]]:
    """One assignment per owner of the workflow named by the approver's field, but never the
    requester nor anyone the segregation-of-duties rule refuses (the author of a change does
    not approve it). With nobody left, the operators queue, saying why."""
    key = str((case.data or {}).get(approver.field) or "")
    found, refused = [], []
    for owner in definition_owners(key=key):
        problem = assignee_problem(user=owner, case=case, kind=APPROVAL, holders=taken)
        if problem is not None:
            refused.append(REFUSALS[problem].format(username=owner.username))
            continue
        taken.add(owner.pk)
        found.append(({"user_id": owner.pk, "username": owner.username}, f"{owner.username} owns {key}"))
    if found:
        return found
    reasons = " ".join(refused) or f"{key} has no owner."
    return [
        ({"role": roles.OPERATORS}, f"no other owner of {key} can approve ({reasons}) The operators queue assigns it.")
    ]


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
    asker = _Requester(case.requester)
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
                resolved = _resolve_owners(approver, case, taken)
            elif approver.authority and spec.authority is not None:
                assignment, note, authority = _resolve_with_authority(approver, case, taken, now)
                resolved, extra = [(assignment, note)], {**extra, "authority": authority}
            else:
                resolved = [_resolve_approver(approver, case, taken, now)]
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
