"""Who may do what to a case or task. Services enforce these; views use them to show actions."""

from collections.abc import Callable

from django.db.models import Q
from viewflow.workflow.status import STATUS

from apps.core.errors import Conflict, NotAllowed
from apps.definitions.policy import user_can_edit_definition, user_is_builder
from apps.definitions.selectors import definitions_owned_query, version_live_of
from apps.org.roles import OPERATORS, WORKFLOW_OWNERS
from apps.org.selectors import MANAGER_BADGE, user_badges, user_manager, user_role_names, user_sees_all_cases

from .models import Case
from .nodes import ROLE_PREFIX, task_role
from .taskinfo import APPROVAL, REPAIR, REWORK, task_info  # noqa: F401 - REPAIR: a kind callers of assignee_problem name

OPEN_TASK_STATUSES = [STATUS.NEW, STATUS.ASSIGNED]

# Feature apps widen who reads and writes a case for the work they own (operators repair
# automated steps, so they read and comment on cases that have any), registering in their
# AppConfig.ready(): the engine never imports them. A reader returns a Q over cases (or None),
# given the user and their role names; a writer answers for one case.
_readers: list[Callable] = []
_writers: list[Callable] = []


def case_readers_add(reader: Callable) -> None:
    if reader not in _readers:
        _readers.append(reader)


def case_writers_add(writer: Callable) -> None:
    if writer not in _writers:
        _writers.append(writer)


MSG_TASK_CLOSED = "This task is no longer open: it was {status}."
MSG_OWN_REQUEST = "You requested this case, so you cannot approve it (segregation of duties)."
MSG_TWICE_IN_STAGE = "You already act on another approval of this stage; one person approves once per stage."
MSG_NOT_YOURS = "This task is assigned to {owner}."
MSG_NOT_IN_ROLE = "Only members of the '{role}' role can take this task."
MSG_NOT_CLAIMED_BY_YOU = "You can only release a task you hold."
MSG_CASE_HIDDEN = "You cannot see this case."
MSG_CANNOT_WRITE = (
    "Only the people working on this case (its requester, its approvers, operators repairing it) "
    "can add comments or documents to it."
)
MSG_ACTOR_INACTIVE = "Your account is not active."
MSG_CANNOT_REASSIGN = (
    "Only the holder's manager, operators, administrators and the workflow's owners can reassign this task."
)
MSG_ASSIGNEE_INACTIVE = "{username} is not active."
MSG_ASSIGNEE_REQUESTER = "{username} requested this case, so they cannot approve it (segregation of duties)."
MSG_ASSIGNEE_TWICE = "{username} already acts on another approval of this stage; one person approves once per stage."


def task_is_open(task) -> bool:
    return task.status in OPEN_TASK_STATUSES


def ensure_task_open(task) -> None:
    if not task_is_open(task):
        raise Conflict(MSG_TASK_CLOSED.format(status=str(task.status).lower()))


# The one segregation-of-duties rule, as the problems it can find.
INACTIVE, REQUESTER, TWICE = "inactive", "requester", "twice"
# What the person acting is told (first person), and what whoever moves a task is told.
SELF_REFUSALS = {INACTIVE: MSG_ACTOR_INACTIVE, REQUESTER: MSG_OWN_REQUEST, TWICE: MSG_TWICE_IN_STAGE}
REFUSALS = {INACTIVE: MSG_ASSIGNEE_INACTIVE, REQUESTER: MSG_ASSIGNEE_REQUESTER, TWICE: MSG_ASSIGNEE_TWICE}


def task_kind(task) -> str:
    return task_info(task).kind if task is not None else APPROVAL


def round_holders(task) -> set[int]:
    """Who holds or decided another approval of the task's stage round (one query).

    Cancelled (and revived) siblings do not count: nobody acts on them any more.
    """
    round_no = task.data.get("round")
    siblings = (
        task.process.task_set.filter(flow_task=task.flow_task, owner_id__isnull=False)
        .exclude(pk=task.pk)
        .exclude(status__in=[STATUS.CANCELED, STATUS.REVIVED])
        .values_list("owner_id", "data")
    )
    return {owner_id for owner_id, data in siblings if (data or {}).get("round") == round_no}


def assignee_problem(*, user, case, task=None, kind: str | None = None, holders=None) -> str | None:
    """May `user` be given `task` of `case`? None if so, else INACTIVE, REQUESTER or TWICE.

    Segregation of duties, in one place: every path that gives a task to a person asks this
    (claim, reassign, escalation, reroute, backup, handover, deactivation, routing with
    delegation, an operator routing a step). An approval never goes to the case's requester,
    nor to someone who holds or decided another approval of the same stage round. `holders`
    (user ids) replaces the query when the caller knows them: routing, before the tasks exist,
    or a loop over candidates for one task. `kind` REPAIR is an operator's step repair: not an
    approval, but never the requester's own case.
    """
    if user is None or not user.is_active:
        return INACTIVE
    if case.is_sandboxed and user.pk == case.started_by_id:
        return None  # a test case: whoever started it drives every task of it, in every role
    kind = kind or task_kind(task)
    if kind == REWORK:
        return None
    if case.requester_id == user.pk:
        return REQUESTER
    if kind != APPROVAL:
        return None
    if holders is None:
        holders = round_holders(task) if task is not None else set()
    return TWICE if user.pk in holders else None


def assignee_refusal(*, user, case, task=None, kind: str | None = None, holders=None) -> str | None:
    """The refusal message for giving `task` to `user` (None: they may take it)."""
    problem = assignee_problem(user=user, case=case, task=task, kind=kind, holders=holders)
    return REFUSALS[problem].format(username=user.get_username() if user else "?") if problem else None


def ensure_can_take(*, user, case, task) -> None:
    """Raise NotAllowed unless `task` may be given to `user` (see `assignee_problem`)."""
    refusal = assignee_refusal(user=user, case=case, task=task)
    if refusal:
        raise NotAllowed(refusal)


def ensure_can_act(*, user, task, case, claiming: bool = False) -> None:
    """Raise unless `user` may claim (when unassigned) and decide `task` now."""
    ensure_task_open(task)
    taking = claiming or task.owner_id is None
    # NOTE: a task someone already holds passed the rule when it was given to them; asking
    # again would cost a query on every decision.
    problem = assignee_problem(user=user, case=case, task=task, holders=None if taking else set())
    if problem in (INACTIVE, REQUESTER):
        raise NotAllowed(SELF_REFUSALS[problem])
    if task.owner_id is not None:
        if task.owner_id != user.pk:
            raise NotAllowed(MSG_NOT_YOURS.format(owner=task.owner.get_username()))
    else:
        role = task_role(task)
        if role is None or role not in user_role_names(user=user):
            raise NotAllowed(MSG_NOT_IN_ROLE.format(role=role or "?"))
    if problem == TWICE:
        raise NotAllowed(SELF_REFUSALS[problem])


def queue_filter(user) -> Q:
    """Open tasks a user can act on: theirs, or unclaimed in one of their roles' queues."""
    roles = [f"{ROLE_PREFIX}{name}" for name in user_role_names(user=user)]
    mine = Q(owner_id=user.pk, status=STATUS.ASSIGNED)
    claimable = Q(owner__isnull=True, status=STATUS.NEW, owner_permission__in=roles) & ~Q(
        process__case__requester_id=user.pk
    )
    return mine | claimable


def team_tasks_filter(user) -> Q:
    """Open tasks held by the people who report to the user (they are their direct manager), so
    a manager can unblock work when someone is away. Test cases stay in their sandbox."""
    return Q(owner__profile__manager_id=user.pk, status=STATUS.ASSIGNED, process__case__is_test=False)


def team_requests_filter(user) -> Q:
    """Open requests of the people who report to the user (not test cases routed as them)."""
    return Q(requester__profile__manager_id=user.pk, status=STATUS.NEW, started_by__isnull=True, is_test=False)


def team_cases_filter(user) -> Q:
    """The cases behind the two lists above: the same rules, read from the case."""
    held = Q(task__owner__profile__manager_id=user.pk, task__status=STATUS.ASSIGNED, is_test=False)
    return team_requests_filter(user) | held


def user_manages_people(user) -> bool:
    """Does anyone report to the user? No query: read with their roles (apps.org.selectors)."""
    return MANAGER_BADGE in user_badges(user=user)


def case_visibility_filter(user) -> Q | None:
    """Cases a user may read; None means all of them. One filter, for lists and single cases:

    - auditors and administrators: every case;
    - the requester (or, for a test case, whoever started it);
    - whoever holds or held one of its tasks, and members of a role whose queue holds one of its
      open tasks (deactivation reroutes to the operators' queue land here);
    - the owners of its workflow (read only: deciding still follows the task rules);
    - the requester's manager while the request is open, and the manager of whoever holds one
      of its open tasks (the inbox's "My team" tab lists exactly these);
    - whoever a feature app's reader admits: operators on cases with automated steps, whoever a
      notification asked to act on the case (apps.notify: escalations, reroutes, reminders).
    Every rule is a join or a subquery: no query of its own, so lists pay no query per row.
    """
    if user_sees_all_cases(user=user):
        return None
    names = user_role_names(user=user)
    roles = [f"{ROLE_PREFIX}{name}" for name in names]
    condition = (
        Q(requester_id=user.pk, started_by__isnull=True)
        | Q(started_by_id=user.pk)
        | Q(task__owner_id=user.pk)
        | Q(task__owner__isnull=True, task__status=STATUS.NEW, task__owner_permission__in=roles)
    )
    if WORKFLOW_OWNERS in names:
        condition |= Q(definition__in=definitions_owned_query(user=user))
    if user_manages_people(user):
        condition |= team_cases_filter(user)
    for reader in _readers:
        extra = reader(user=user, role_names=names)
        if extra is not None:
            condition |= extra
    return condition


def version_sop_can_view(*, user, version) -> bool:
    """May `user` read the standard operating procedure of a published `version`? Whoever may
    start the workflow (everyone signed in, on its live version), whoever may see one of the
    cases pinned to it, and the builders (who read every definition)."""
    if not (user and user.is_authenticated and user.is_active) or not version.number:
        return False
    if user_sees_all_cases(user=user) or user_is_builder(user=user):
        return True
    live = version_live_of(definition=version.definition)
    if live is not None and live.pk == version.pk:
        return True
    return Case.objects.filter(case_visibility_filter(user), version_id=version.pk).exists()


def _own(user, case) -> bool:
    """The case is the user's: they requested it, or started it as a test. The person a test case
    routes as (its requester) is not asked or shown anything."""
    if case.is_sandboxed:
        return case.started_by_id == user.pk
    return case.requester_id == user.pk


def case_can_view(*, user, case) -> bool:
    if user_sees_all_cases(user=user) or _own(user, case):
        return True
    condition = case_visibility_filter(user)
    return Case.objects.filter(condition, pk=case.pk).exists()


def case_can_write(*, user, case) -> bool:
    """May `user` add comments and documents to `case`?

    The people working on it: its requester, whoever holds, held or decided one of its tasks,
    members of a role whose queue holds one of its open tasks, administrators, and whoever a
    feature app's writer admits (operators on a case with automated steps, they repair it, and
    whoever a step exception was routed to). Not those who merely read it (auditors read every case). At most two
    queries, none for the requester or an administrator.
    """
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser or _own(user, case):
        return True
    roles = [f"{ROLE_PREFIX}{name}" for name in user_role_names(user=user)]
    tasks = case.task_set.filter(
        Q(owner_id=user.pk)
        | Q(owner__isnull=True, status=STATUS.NEW, owner_permission__in=roles)
        | Q(data__has_key="previous_owners")
    ).values_list("owner_id", "status", "owner_permission", "data")
    username = user.get_username()
    for owner_id, status, permission, data in tasks:
        queued = owner_id is None and status == STATUS.NEW and permission in roles
        if owner_id == user.pk or queued or username in (data or {}).get("previous_owners", []):
            return True
    return any(writer(user=user, case=case) for writer in _writers)


def ensure_can_write(*, user, case) -> None:
    if not case_can_write(user=user, case=case):
        raise NotAllowed(MSG_CANNOT_WRITE)


def task_can_reassign(*, user, task, case) -> bool:
    """May `user` move `task` to someone else by hand? Its holder's manager, operators,
    administrators, and the owners of the case's workflow (who may edit its definition).
    Whoever it moves to is still decided by the segregation-of-duties rule."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser or OPERATORS in user_role_names(user=user):
        return True
    if task.owner_id and task.owner_id != user.pk:
        manager = user_manager(user=task.owner)
        if manager is not None and manager.pk == user.pk:
            return True
    return user_can_edit_definition(user=user, definition=case.definition)


def ensure_can_reassign(*, user, task, case) -> None:
    if not task_can_reassign(user=user, task=task, case=case):
        raise NotAllowed(MSG_CANNOT_REASSIGN)
