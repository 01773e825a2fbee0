"""What goes into a pack, read in chunks: every list here is an iterator over the database, never
a list of the whole range (a pack may hold years of cases)."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Q

from apps.audit.models import Action, AuditEvent
from apps.audit.selectors import ROLE_ACTIONS
from apps.cases.models import Attachment, Case
from apps.definitions.models import DefinitionVersion, VersionStatus

from .ranges import EvidenceRange

CHUNK = 2000
DECISION_ACTIONS = [Action.TASK_DECIDED, Action.CASE_RESUBMITTED]


def evidence_cases(*, scope: EvidenceRange):
    """The real cases (no test cases on drafts) that were open at some moment of the range:
    started before it ended and not closed before it began; of one workflow if the range says so."""
    cases = Case.objects.filter(is_test=False, created__lt=scope.moment_to).filter(
        Q(finished__isnull=True) | Q(finished__gte=scope.moment_from)
    )
    if scope.workflow:
        cases = cases.filter(workflow_key=scope.workflow)
    return cases


def case_rows(*, cases):
    return cases.select_related("requester").order_by("pk").iterator(chunk_size=CHUNK)


def _events_of(cases):
    return AuditEvent.objects.filter(case_id__in=cases.order_by().values("pk"))


def event_rows(*, cases):
    """Every audit event of the cases, whenever it happened (the full trail of each case), in the
    order of the chain (seq): each case's events in the order its links run."""
    return _events_of(cases).order_by("seq").iterator(chunk_size=CHUNK)


def decision_rows(*, cases):
    """The decisions people took on the cases (approvals, rejections, returns, resubmissions)."""
    return _events_of(cases).filter(action__in=DECISION_ACTIONS).order_by("seq").iterator(chunk_size=CHUNK)


def attachment_rows(*, cases):
    return (
        Attachment.objects.filter(case_id__in=cases.order_by().values("pk"))
        .select_related("uploaded_by")
        .order_by("case_id", "id")
        .iterator(chunk_size=CHUNK)
    )


def versions_in_force(*, scope: EvidenceRange, cases) -> list[tuple[DefinitionVersion, int]]:
    """(version, cases of the pack on it) for every version a case of the pack runs on, and every
    published version that was the live one at some moment of the range (of the range's workflow,
    or of every workflow). Oldest first per workflow."""
    pinned = dict(cases.order_by().values_list("version_id").annotate(n=Count("pk")))
    published = DefinitionVersion.objects.filter(status=VersionStatus.PUBLISHED, published_at__lt=scope.moment_to)
    if scope.workflow:
        published = published.filter(definition__key=scope.workflow)
    live_then = set()
    by_definition: dict[int, list] = {}
    for version_id, definition_id, published_at in published.order_by(
        "definition_id", "published_at", "id"
    ).values_list("pk", "definition_id", "published_at"):
        by_definition.setdefault(definition_id, []).append((version_id, published_at))
    for versions in by_definition.values():
        for index, (version_id, _) in enumerate(versions):
            superseded = versions[index + 1][1] if index + 1 < len(versions) else None
            if superseded is None or superseded > scope.moment_from:
                live_then.add(version_id)
    chosen = (
        DefinitionVersion.objects.filter(pk__in=set(pinned) | live_then)
        .select_related("definition", "published_by")
        .order_by("definition__key", "number", "id")
    )
    return [(version, pinned.get(version.pk, 0)) for version in chosen]


def role_memberships():
    """Who holds which role now: every (group, user) pair, by role then username."""
    through = get_user_model().groups.through
    return (
        through.objects.select_related("group", "user")
        .order_by("group__name", "user__username")
        .iterator(chunk_size=CHUNK)
    )


def role_change_rows(*, scope: EvidenceRange):
    """Grants and removals of roles (a role is a Django group; apps.audit.memberships records
    every change) recorded in the range."""
    return (
        AuditEvent.objects.filter(action__in=ROLE_ACTIONS, at__gte=scope.moment_from, at__lt=scope.moment_to)
        .order_by("seq")
        .iterator(chunk_size=CHUNK)
    )


def recent_exports(*, limit: int = 10) -> list:
    """The last evidence packs taken out (their `evidence.exported` audit events), newest first."""
    return list(AuditEvent.objects.filter(action=Action.EVIDENCE_EXPORTED).order_by("-at", "-id")[:limit])
