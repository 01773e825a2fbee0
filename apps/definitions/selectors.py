"""Reads about definitions and versions."""

from apps.core.errors import NotFound

from .accessors import Field, spec_of
from .models import DefinitionVersion, VersionStatus, WorkflowDefinition

MSG_UNKNOWN_WORKFLOW = "Unknown workflow '{key}': no published definition has this key."


def version_live(*, key: str) -> DefinitionVersion:
    """The newest published version of a definition: the one new cases start on."""
    version = (
        DefinitionVersion.objects.filter(definition__key=key, status=VersionStatus.PUBLISHED)
        .select_related("definition")
        .order_by("-number")
        .first()
    )
    if version is None:
        raise NotFound(MSG_UNKNOWN_WORKFLOW.format(key=key))
    return version


def definitions_published():
    """Definitions that have a published version, each with its live version attached."""
    versions = (
        DefinitionVersion.objects.filter(status=VersionStatus.PUBLISHED)
        .select_related("definition")
        .order_by("definition__name", "-number")
    )
    live = {}
    for version in versions:
        live.setdefault(version.definition_id, version)
    return list(live.values())


def definition_get(*, key: str) -> WorkflowDefinition:
    try:
        return WorkflowDefinition.objects.get(key=key)
    except WorkflowDefinition.DoesNotExist:
        raise NotFound(MSG_UNKNOWN_WORKFLOW.format(key=key)) from None


MSG_UNKNOWN_VERSION = "Workflow '{key}' has no {ref}."


def definitions_for_builder(*, user) -> list[dict]:
    """Every definition with its live version, its draft and whether the user may edit it."""
    from .policy import user_can_edit_definition

    rows = []
    versions = DefinitionVersion.objects.select_related("published_by").order_by("-number")
    by_definition: dict[int, list] = {}
    for version in versions:
        by_definition.setdefault(version.definition_id, []).append(version)
    for definition in WorkflowDefinition.objects.select_related("owner").order_by("name"):
        mine = by_definition.get(definition.pk, [])
        rows.append(
            {
                "definition": definition,
                "live": next((v for v in mine if v.is_published), None),
                "draft": next((v for v in mine if not v.is_published), None),
                "published": sum(1 for v in mine if v.is_published),
                "can_edit": user_can_edit_definition(user=user, definition=definition),
            }
        )
    return rows


def version_draft(*, definition) -> DefinitionVersion | None:
    return definition.versions.filter(status=VersionStatus.DRAFT).select_related("definition").first()


def version_live_of(*, definition) -> DefinitionVersion | None:
    return (
        definition.versions.filter(status=VersionStatus.PUBLISHED)
        .select_related("definition")
        .order_by("-number")
        .first()
    )


def version_published_get(*, definition, number: int) -> DefinitionVersion | None:
    """Published version `number` of the definition (None when there is none such)."""
    return definition.versions.filter(status=VersionStatus.PUBLISHED, number=number).first()


def version_get(*, definition, ref) -> DefinitionVersion:
    """A version by number, or the draft for `ref == "draft"`."""
    if str(ref) == "draft":
        version = version_draft(definition=definition)
    else:
        try:
            number = int(ref)
        except (TypeError, ValueError):
            number = None
        version = definition.versions.filter(number=number).select_related("definition").first() if number else None
    if version is None:
        label = "draft" if str(ref) == "draft" else f"version {ref}"
        raise NotFound(MSG_UNKNOWN_VERSION.format(key=definition.key, ref=label))
    return version


def definition_versions(*, definition) -> list[DefinitionVersion]:
    """Published versions newest first, the draft (if any) on top."""
    versions = list(definition.versions.select_related("published_by", "created_by"))
    return sorted(versions, key=lambda v: (v.is_published, -(v.number or 0)))


def definition_history(*, definition, limit: int = 50) -> list:
    """Who changed what in the definition's versions, newest first (simple-history records)."""
    return list(
        DefinitionVersion.history.filter(definition_id=definition.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:limit]
    )


# The field types whose values people search by text (a vendor, a description, an invoice number).
TEXT_FIELD_TYPES = frozenset({"text", "textarea", "choice", "email"})


def _newest_first(version) -> tuple:
    """Published versions newest first, drafts after them: the live version's words win."""
    return (version.number is None, -(version.number or 0))


def workflow_fields(*, key: str) -> list[Field]:
    """Every field some version of a workflow has (its cases may hold any of them): the live
    version's fields in its order, then those only older versions or the draft have; each with
    the label of the newest version that has it."""
    versions = sorted(DefinitionVersion.objects.filter(definition__key=key).only("number", "spec"), key=_newest_first)
    fields: dict[str, Field] = {}
    for version in versions:
        for field in spec_of(version).fields:
            fields.setdefault(field.name, field)
    return list(fields.values())


def text_field_names(*, key: str = "") -> list[str]:
    """The names of the text fields of every version of a workflow (of every workflow without
    `key`): the case data a text search looks in. Numbers, dates and yes/no are left out."""
    versions = DefinitionVersion.objects.only("spec")
    if key:
        versions = versions.filter(definition__key=key)
    return sorted({f.name for v in versions for f in spec_of(v).fields if f.type in TEXT_FIELD_TYPES})


def definition_keys_owned(*, user) -> set[str]:
    """Keys of the workflows the user owns: named as their owner, or editable by them (the
    guardian permission their creator gets). Two queries at most."""
    from django.db.models import Q
    from guardian.shortcuts import get_objects_for_user

    from .policy import EDIT_PERMISSION

    editable = get_objects_for_user(user, EDIT_PERMISSION, klass=WorkflowDefinition, accept_global_perms=False)
    owned = WorkflowDefinition.objects.filter(Q(owner_id=user.pk) | Q(pk__in=editable.values("pk")))
    return set(owned.values_list("key", flat=True))


def definitions_owned_query(*, user):
    """The workflows the user owns (named as their owner, or editable by them through a guardian
    permission of their own or of one of their groups), as a lazy queryset: a subquery inside
    another filter, never a query of its own (the case-visibility policy uses it)."""
    from django.db.models import CharField, Exists, OuterRef, Q
    from django.db.models.functions import Cast
    from guardian.models import GroupObjectPermission, UserObjectPermission

    from .policy import EDIT_PERMISSION

    granted = {
        "permission__codename": EDIT_PERMISSION.split(".")[1],
        "content_type__app_label": WorkflowDefinition._meta.app_label,
        "content_type__model": WorkflowDefinition._meta.model_name,
        # NOTE: guardian keeps object ids as text: the definition's id is compared as text too.
        "object_pk": Cast(OuterRef("pk"), CharField()),
    }
    by_user = UserObjectPermission.objects.filter(user_id=user.pk, **granted)
    by_group = GroupObjectPermission.objects.filter(group__user=user.pk, **granted)
    return WorkflowDefinition.objects.filter(Q(owner_id=user.pk) | Q(Exists(by_user)) | Q(Exists(by_group)))


def definition_owners(*, key: str) -> list:
    """The people who answer for a workflow: its named owner and whoever may edit its drafts
    (active users only), by username. Two queries."""
    from guardian.shortcuts import get_users_with_perms

    definition = WorkflowDefinition.objects.filter(key=key).select_related("owner").first()
    if definition is None:
        return []
    editors = get_users_with_perms(definition, only_with_perms_in=["edit_definition"], with_superusers=False)
    people = {u.pk: u for u in editors if u.is_active}
    if definition.owner is not None and definition.owner.is_active:
        people[definition.owner.pk] = definition.owner
    return sorted(people.values(), key=lambda u: u.get_username())


# Change control (governance.py writes these).


def definitions_review_due(*, on=None) -> list[WorkflowDefinition]:
    """Workflows whose next review is due on or before `on` (today), oldest due first, with
    their named owner. The built-in `workflow-change` is reviewed like any other."""
    from django.utils import timezone

    on = on or timezone.localdate()
    return list(
        WorkflowDefinition.objects.filter(next_review__lte=on).select_related("owner").order_by("next_review", "key")
    )


def change_request_latest(*, definition):
    """The definition's newest change request (open or closed), or None."""
    from .models import ChangeRequest

    return (
        ChangeRequest.objects.filter(definition=definition)
        .select_related("requested_by", "decided_by", "draft")
        .order_by("-created", "-id")
        .first()
    )


def change_requests_of(*, definition, limit: int = 10) -> list:
    from .models import ChangeRequest

    return list(
        ChangeRequest.objects.filter(definition=definition)
        .select_related("requested_by", "decided_by")
        .order_by("-created", "-id")[:limit]
    )


def feedback_backlog(*, definition, done_limit: int = 20) -> tuple[list, list]:
    """The improvement backlog: the open feedback and the newest `done_limit` done, newest first."""
    from .models import Feedback, FeedbackStatus

    items = (
        Feedback.objects.filter(definition=definition).select_related("author", "done_by").order_by("-created", "-id")
    )
    return list(items.filter(status=FeedbackStatus.OPEN)), list(items.filter(status=FeedbackStatus.DONE)[:done_limit])


def feedback_open_counts(*, definition=None) -> dict[int, int]:
    """Open feedback per definition id (the builder's list shows it; its overview, one's)."""
    from django.db.models import Count

    from .models import Feedback, FeedbackStatus

    rows = Feedback.objects.filter(status=FeedbackStatus.OPEN)
    if definition is not None:
        rows = rows.filter(definition=definition)
    rows = rows.values("definition_id").annotate(n=Count("id"))
    return {row["definition_id"]: row["n"] for row in rows}
