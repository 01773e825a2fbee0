"""Reads the dashboards need besides the metrics: which workflows a person picks from, and the
cases behind a number (those the metrics selectors named, so already within the person's scope)."""

from apps.cases.models import Case
from apps.cases.policy import case_visibility_filter
from apps.definitions.models import DefinitionVersion, VersionStatus, WorkflowDefinition

MAX_LISTED = 500


def dashboard_workflows(*, scope) -> list[dict]:
    """[{key, name}] of the workflows a person may open a dashboard of: all of them for whoever
    sees every workflow or a manager (their reports approve in any workflow), else the ones they own."""
    definitions = WorkflowDefinition.objects.order_by("name", "key")
    if not scope.sees_all and not scope.reports:
        definitions = definitions.filter(key__in=sorted(scope.workflows or ()))
    return list(definitions.values("key", "name"))


def workflow_version_numbers(*, key: str) -> list[int]:
    """The published (or once published) version numbers of a workflow, newest first."""
    return list(
        DefinitionVersion.objects.filter(definition__key=key, number__isnull=False)
        .exclude(status=VersionStatus.DRAFT)
        .order_by("-number")
        .values_list("number", flat=True)
    )


def cases_behind(*, user, case_ids) -> list[dict]:
    """The cases behind a number (at most MAX_LISTED, oldest first), each saying whether the person
    may open its case page: a workflow owner sees their workflow's numbers, not every case in it.
    Two queries."""
    ids = sorted(set(case_ids))[:MAX_LISTED]
    rows = list(
        Case.objects.filter(pk__in=ids)
        .order_by("created", "pk")
        .values("pk", "workflow_key", "version_number", "state", "stage", "outcome", "created", "finished")
    )
    condition = case_visibility_filter(user)
    if condition is None:
        readable = {row["pk"] for row in rows}
    else:
        readable = set(Case.objects.filter(condition, pk__in=ids).values_list("pk", flat=True).distinct())
    for row in rows:
        row["readable"] = row["pk"] in readable
    return rows
