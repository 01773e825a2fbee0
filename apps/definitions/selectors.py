"""Reads about definitions and versions."""

from apps.core.errors import NotFound

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
