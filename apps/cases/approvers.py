"""Who approves for one approver entry of a stage: resolving the spec's approver (a manager,
perhaps under authority limits; a role; a named user; the person a user field names; a role in
the requester's department; a workflow's owners) to a person or a role's queue, with the note that
says why. Segregation of duties decides every person (policy.assignee_problem); whoever it
refuses is passed over, to a delegate, a backup or the operators' queue."""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model

from apps.core.numbers import number
from apps.definitions.accessors import Approver, spec_of
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

from .models import Case
from .policy import APPROVAL, REFUSALS, assignee_problem

User = get_user_model()


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

    def __init__(self, who):
        self._who, self._attributes = who, None

    def _read(self) -> dict:
        if self._attributes is None:
            user = self._who() if callable(self._who) else self._who
            self._attributes = user_attributes(user=user)
        return self._attributes

    def __getitem__(self, key):
        return self._read()[key]

    def __iter__(self):
        return iter(self._read())

    def __len__(self):
        return len(self._read())


def requester_attributes(user) -> Mapping:
    """The attributes of `user` (or of whom a callable returns: the case's requester, loaded only
    then) that conditions may ask about, read when first asked."""
    return _Requester(user)


def _amount(case: Case, field: str) -> Decimal | None:
    try:
        return Decimal(str((case.data or {}).get(field)))
    except (InvalidOperation, ValueError):
        return None


def _shown(amount) -> str:
    return number(amount) if amount is not None else "no limit"


def resolve_with_authority(approver: Approver, case: Case, taken: set, at) -> tuple[dict, str, dict]:
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


def resolve_approver(approver: Approver, case: Case, taken: set, at) -> tuple[dict, str]:
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


def resolve_owners(approver: Approver, case: Case, taken: set) -> list[tuple[dict, str]]:
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
