"""Reads about business calendars: which calendar a workflow runs on, who may edit calendars."""

from datetime import time

from django.db.models import Count, Q

from apps.definitions.accessors import Spec, spec_of
from apps.org import roles
from apps.org.selectors import user_has_role

from .models import BusinessCalendar, SlaClock

FALLBACK_NAME = "Standard hours"


def calendar_fallback() -> BusinessCalendar:
    """An unsaved Mon–Fri 09:00–17:00 UTC calendar without holidays, so a clock always has one."""
    return BusinessCalendar(
        name=FALLBACK_NAME,
        time_zone="UTC",
        working_days=[0, 1, 2, 3, 4],
        day_start=time(9),
        day_end=time(17),
        country="",
        subdivision="",
        closures=[],
    )


def calendar_default() -> BusinessCalendar:
    """The organisation's calendar, or the fallback when none is marked default."""
    return BusinessCalendar.objects.filter(is_default=True).first() or calendar_fallback()


def _calendar_name(definition) -> str | None:
    """The calendar a version's spec names; for a definition, the one its newest published
    version (else its draft) names."""
    if definition is None:
        return None
    if hasattr(definition, "spec"):
        return spec_of(definition).calendar
    from apps.definitions.models import VersionStatus

    versions = definition.versions
    version = (
        versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()
        or versions.filter(status=VersionStatus.DRAFT).first()
    )
    return spec_of(version).calendar if version is not None else None


def calendar_for(*, definition=None, spec: dict | None = None) -> BusinessCalendar:
    """The calendar a workflow's clocks use: the spec's `"calendar": "<name>"` if that calendar
    exists, else the default calendar, else the unsaved fallback. One query.

    `definition` may be a DefinitionVersion (a case's pinned version: preferred) or a
    WorkflowDefinition (its live version is used); `spec` wins when both are given.
    """
    name = _calendar_name(definition) if spec is None else Spec(spec).calendar
    if name:
        found = list(BusinessCalendar.objects.filter(Q(name=name) | Q(is_default=True)))
        named = [c for c in found if c.name == name]
        return (named or found or [calendar_fallback()])[0]
    return calendar_default()


def calendar_list():
    return BusinessCalendar.objects.order_by("-is_default", "name")


def calendar_can_edit(*, user) -> bool:
    """Workflow owners and administrators edit calendars; everyone signed in may read them."""
    return bool(user and user.is_authenticated) and (
        user.is_superuser or user_has_role(user=user, role=roles.WORKFLOW_OWNERS)
    )


def sla_breach_counts() -> dict[tuple[str, str], int]:
    """SLA clocks ever breached, by (workflow, clock kind), test cases left out (one query; for
    /metrics, apps.ops)."""
    rows = (
        SlaClock.objects.filter(breached_at__isnull=False, case__is_test=False)
        .order_by()
        .values_list("case__workflow_key", "kind")
        .annotate(n=Count("pk"))
    )
    return {(workflow, kind): n for workflow, kind, n in rows}
