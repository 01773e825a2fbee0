"""Reading the audit trail."""

from .models import Action, AuditEvent


def audit_events_for_case(*, case_id: int):
    return AuditEvent.objects.filter(case_id=case_id).select_related("actor").order_by("at", "id")


def last_resubmission(*, case_id: int) -> tuple | None:
    """(the requester's resubmission, the decision that returned the case before it), the latest
    pair; None if the case was never resubmitted. One query."""
    events = list(
        AuditEvent.objects.filter(case_id=case_id, action__in=[Action.CASE_RESUBMITTED, Action.TASK_DECIDED])
        .select_related("actor")
        .order_by("at", "id")
    )
    for index in range(len(events) - 1, -1, -1):
        if events[index].action == Action.CASE_RESUBMITTED:
            returned = next(
                (e for e in reversed(events[:index]) if (e.context or {}).get("decision") == "return"), None
            )
            return events[index], returned
    return None


def chain_verification_last():
    """The latest verification of the hash chain (None before the first)."""
    from .models import ChainVerification

    return ChainVerification.objects.order_by("-at", "-id").first()


def audit_event_search(*, actor: str = "", action: str = "", workflow: str = "", start=None, end=None, case_id=None):
    """Audit events across cases, newest first: by who did it (a username, or SYSTEM), what,
    in which workflow, and from `start` (inclusive) to `end` (exclusive)."""
    events = AuditEvent.objects.all()
    if actor:
        events = events.filter(actor_name__iexact=actor)
    if action:
        events = events.filter(action=action)
    if workflow:
        events = events.filter(workflow=workflow)
    if case_id:
        events = events.filter(case_id=case_id)
    if start is not None:
        events = events.filter(at__gte=start)
    if end is not None:
        events = events.filter(at__lt=end)
    return events.order_by("-at", "-id")


ROLE_ACTIONS = (Action.ROLE_GRANTED, Action.ROLE_REVOKED)


def role_changes(*, since=None):
    """Every grant and removal of a role (apps.audit.memberships), newest first."""
    events = AuditEvent.objects.filter(action__in=ROLE_ACTIONS).select_related("actor")
    if since is not None:
        events = events.filter(at__gte=since)
    return events.order_by("-at", "-id")


def role_holders(*, before=None) -> dict[str, list[tuple]]:
    """{role name: [(person, held since or None), ...] by username}: now, or just before the
    moment `before`. "Since" is the person's last grant of the role before then (None: older than
    the audit trail of roles).

    The past is replayed backwards from today's memberships: every grant after `before` is taken
    back, every removal after it is given back. Backwards, not forwards from the first event, so
    memberships older than the trail of them (an installation upgraded to audited roles) count as
    held all along instead of vanishing. Every role shows, held by nobody or not. Five queries."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    from django.contrib.auth.models import Group

    held: dict[str, set[int]] = {name: set() for name in Group.objects.values_list("name", flat=True)}
    for user_id, role in User.groups.through.objects.values_list("user_id", "group__name"):
        held.setdefault(role, set()).add(user_id)
    if before is not None:
        for action, context in role_changes(since=before).values_list("action", "context"):
            role, user_id = (context or {}).get("role"), (context or {}).get("user_id")
            if not role or user_id is None:
                continue
            if action == Action.ROLE_GRANTED:
                held.setdefault(role, set()).discard(user_id)
            else:
                held.setdefault(role, set()).add(user_id)
    grants = AuditEvent.objects.filter(action=Action.ROLE_GRANTED)
    if before is not None:
        grants = grants.filter(at__lt=before)
    since = {}
    for at, context in grants.order_by("at", "id").values_list("at", "context"):
        since[((context or {}).get("role"), (context or {}).get("user_id"))] = at
    people = User.objects.in_bulk({pk for ids in held.values() for pk in ids})
    return {
        role: sorted(
            ((people[pk], since.get((role, pk))) for pk in ids if pk in people),
            key=lambda pair: pair[0].get_username(),
        )
        for role, ids in sorted(held.items())
    }
