"""Reads the dashboards need besides the metrics: the cases behind a number (those the metrics
selectors named, so already within the person's scope)."""

from apps.cases.models import Case
from apps.cases.policy import case_visibility_filter

MAX_LISTED = 500


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
